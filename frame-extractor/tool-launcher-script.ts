/**
 * The program of the tool launcher's helper process (`node -e`), plain JavaScript that loads
 * only Node's own modules. It listens on the Unix socket argv[1] (in the main process's
 * folder of mode 0700) and says `ready` over IPC. For each output of a tool the main process
 * connects to it and writes the header line `<launch id> <fd>`; once every output of a
 * launch is connected the helper starts the tool, in a process group of its own, with those
 * connections as its outputs, so that the tool writes straight to the main process, which
 * reads them into its own buffers (`onread`), and no byte passes through the helper. No
 * descriptor ever crosses the IPC channel, which carries only control messages:
 *
 *   main → helper: { type: 'launch', id, executable, args, fds }, { type: 'kill', id }
 *   helper → main: { type: 'ready' }, { type: 'launched', id, pid }, { type: 'error', id, error },
 *                  { type: 'exit', id, code, signal }
 *
 * A launch's message and its connections may arrive in any order. 'exit' is sent once the
 * tool has exited; a tool killed before it started exits with SIGKILL without running, and
 * its connections are closed. When the main process goes away (IPC disconnect) the helper
 * kills its tools' groups, waits for them and exits, so that their CPU time reaches the main
 * process's children when it reaps us; other signals than SIGKILL it leaves to the main
 * process.
 */
export const TOOL_LAUNCHER_SCRIPT = String.raw`
'use strict';
const net = require('node:net');
const { spawn } = require('node:child_process');
const socketPath = process.argv[1];
// By launch id: { message, sockets (by fd), child, code, signal, failed, killed }.
const tools = new Map();
// Launches that are over, for a while: a connection of theirs that comes late is closed.
const forgotten = new Set();
const FORGET_AFTER_MS = 10000;
let leaving = false;

function send(message) {
  if (process.connected) process.send(message, (error) => { if (error) leave(); });
}

function toolFor(id) {
  let tool = tools.get(id);
  if (tool === undefined) {
    tool = { message: undefined, sockets: new Map(), child: undefined, code: null, signal: null, failed: false, killed: false };
    tools.set(id, tool);
  }
  return tool;
}

function closeAll(tool) {
  for (const socket of tool.sockets.values()) socket.destroy();
  tool.sockets.clear();
}

function forget(id, tool) {
  closeAll(tool);
  tools.delete(id);
  forgotten.add(id);
  setTimeout(() => forgotten.delete(id), FORGET_AFTER_MS).unref();
  if (leaving && tools.size === 0) process.exit(0);
}

function finish(id, tool) {
  if (!tool.failed) send({ type: 'exit', id, code: tool.code, signal: tool.signal });
  forget(id, tool);
}

function fail(id, tool, error) {
  if (tool.failed) return;
  tool.failed = true;
  send({ type: 'error', id, error: { code: error.code, message: error.message, syscall: error.syscall, path: error.path } });
  forget(id, tool);
}

function killGroup(tool) {
  const child = tool.child;
  if (child === undefined || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { try { child.kill('SIGKILL'); } catch {} }
}

// A connection from the main process: its header line names the launch and the output.
function accept(socket) {
  socket.on('error', () => socket.destroy());
  let head = '';
  const onData = (chunk) => {
    head += chunk.toString('latin1');
    const newline = head.indexOf('\n');
    if (newline < 0) {
      if (head.length > 64) socket.destroy();
      return;
    }
    socket.off('data', onData);
    socket.pause();
    const [id, fd] = head.slice(0, newline).split(' ').map(Number);
    if (forgotten.has(id) || leaving || !Number.isInteger(fd)) { socket.destroy(); return; }
    const tool = toolFor(id);
    if (tool.child !== undefined || tool.sockets.has(fd)) { socket.destroy(); return; }
    tool.sockets.set(fd, socket);
    startIfComplete(id, tool);
  };
  socket.on('data', onData);
}

function launch(message) {
  if (forgotten.has(message.id)) return;
  const tool = toolFor(message.id);
  tool.message = message;
  startIfComplete(message.id, tool);
}

function startIfComplete(id, tool) {
  const message = tool.message;
  if (message === undefined || tool.child !== undefined || !message.fds.every((fd) => tool.sockets.has(fd))) return;
  const stdio = ['ignore'];
  for (let fd = 1; fd <= Math.max(...message.fds); fd += 1) stdio.push(tool.sockets.get(fd) ?? 'ignore');
  let child;
  try {
    child = spawn(message.executable, message.args, { stdio, detached: true, windowsHide: true });
  } catch (error) {
    fail(id, tool, error);
    return;
  }
  // The tool holds its own copies of the connections: ours would keep its outputs from ending.
  closeAll(tool);
  tool.child = child;
  child.once('error', (error) => fail(id, tool, error));
  child.once('spawn', () => {
    send({ type: 'launched', id, pid: child.pid });
    if (tool.killed) killGroup(tool);
  });
  child.once('exit', (code, signal) => {
    tool.code = code;
    tool.signal = signal;
    finish(id, tool);
  });
}

function kill(id) {
  const tool = tools.get(id);
  if (tool === undefined) return;
  tool.killed = true;
  if (tool.child !== undefined) {
    killGroup(tool);
  } else {
    tool.signal = 'SIGKILL';
    finish(id, tool);
  }
}

function leave() {
  if (leaving) return;
  leaving = true;
  server.close();
  for (const [id, tool] of tools) {
    if (tool.child !== undefined) killGroup(tool);
    else forget(id, tool);
  }
  if (tools.size === 0) process.exit(0);
  // A tool that does not die must not keep us for ever.
  setTimeout(() => process.exit(0), 5000).unref();
}

const server = net.createServer(accept);
server.once('error', (error) => {
  process.stderr.write('deepsift tool launcher: cannot listen on ' + socketPath + ': ' + error.message + '\n');
  process.exit(1);
});
server.listen(socketPath, () => send({ type: 'ready' }));

process.on('message', (message) => {
  if (leaving) return;
  if (message.type === 'launch') launch(message);
  else if (message.type === 'kill') kill(message.id);
});
process.on('disconnect', leave);
// Ctrl-C reaches the whole terminal group, and systemd signals the whole cgroup: the main process
// decides (a worker's in-flight decodes get their grace time and are handed back, not failed), and
// disconnects when done.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => undefined);
`;
