/**
 * The program of the tool launcher's helper process (`node -e`), plain JavaScript that loads
 * only Node's own modules. It starts each tool with pipes, in a process group of its own, and
 * relays each output over a connection of its own to the Unix socket the main process listens
 * on (argv[1]); the connection's first line is `<launch id> <fd>`. No descriptor ever crosses
 * the IPC channel, which carries only control messages:
 *
 *   main → helper: { type: 'launch', id, executable, args, fds }, { type: 'kill', id }
 *   helper → main: { type: 'launched', id, pid }, { type: 'error', id, error },
 *                  { type: 'exit', id, code, signal, relayed }
 *
 * 'exit' is sent once the tool has exited and every relay has ended; `relayed` lists the fds
 * whose connection was made (the main process waits for those, and ends the others). When the
 * main process goes away (IPC disconnect) the helper kills its tools' groups, waits for them
 * and exits, so that their CPU time reaches the main process's children when it reaps us;
 * other signals than SIGKILL it leaves to the main process.
 */
export const TOOL_LAUNCHER_SCRIPT = String.raw`
'use strict';
const net = require('node:net');
const { spawn } = require('node:child_process');
const socketPath = process.argv[1];
const tools = new Map();
let leaving = false;

function send(message) {
  if (process.connected) process.send(message, (error) => { if (error) leave(); });
}

function killGroup(tool) {
  const child = tool.child;
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { try { child.kill('SIGKILL'); } catch {} }
}

function finish(id, tool) {
  tool.pending -= 1;
  if (tool.pending > 0) return;
  tools.delete(id);
  if (!tool.failed) send({ type: 'exit', id, code: tool.code, signal: tool.signal, relayed: tool.relayed });
  if (leaving && tools.size === 0) process.exit(0);
}

function relay(id, tool, fd, stream) {
  const socket = net.createConnection(socketPath);
  let done = false;
  const end = () => { if (!done) { done = true; finish(id, tool); } };
  socket.once('connect', () => tool.relayed.push(fd));
  // The main process closed its end (it stopped reading) or is gone: the tool gets EPIPE, as with a pipe.
  socket.once('error', () => { stream.unpipe(socket); stream.destroy(); socket.destroy(); });
  socket.once('close', end);
  socket.resume();
  socket.write(id + ' ' + fd + '\n');
  stream.pipe(socket);
}

function launch(message) {
  const id = message.id;
  const stdio = ['ignore'];
  for (let fd = 1; fd <= Math.max(...message.fds); fd += 1) stdio.push(message.fds.includes(fd) ? 'pipe' : 'ignore');
  let child;
  try {
    child = spawn(message.executable, message.args, { stdio, detached: true, windowsHide: true });
  } catch (error) {
    send({ type: 'error', id, error: { code: error.code, message: error.message } });
    return;
  }
  // pending: the exit, then one per relayed output.
  const tool = { child, pending: 1, relayed: [], code: null, signal: null, failed: false, killed: false };
  tools.set(id, tool);
  child.once('error', (error) => {
    tool.failed = true;
    send({ type: 'error', id, error: { code: error.code, message: error.message, syscall: error.syscall, path: error.path } });
    for (const fd of message.fds) child.stdio[fd]?.destroy();
    tools.delete(id);
    if (leaving && tools.size === 0) process.exit(0);
  });
  child.once('spawn', () => {
    send({ type: 'launched', id, pid: child.pid });
    if (tool.killed) killGroup(tool);
    for (const fd of message.fds) {
      tool.pending += 1;
      relay(id, tool, fd, child.stdio[fd]);
    }
  });
  child.once('exit', (code, signal) => {
    tool.code = code;
    tool.signal = signal;
    finish(id, tool);
  });
}

function leave() {
  if (leaving) return;
  leaving = true;
  for (const tool of tools.values()) killGroup(tool);
  if (tools.size === 0) process.exit(0);
  // A relay that cannot end (main gone mid-connect) must not keep us for ever.
  setTimeout(() => process.exit(0), 5000).unref();
}

process.on('message', (message) => {
  if (leaving) return;
  if (message.type === 'launch') launch(message);
  else if (message.type === 'kill') {
    const tool = tools.get(message.id);
    if (tool !== undefined) { tool.killed = true; killGroup(tool); }
  }
});
process.on('disconnect', leave);
// Ctrl-C reaches the whole terminal group, and systemd signals the whole cgroup: the main process
// decides (a worker's in-flight decodes get their grace time and are handed back, not failed), and
// disconnects when done.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => undefined);
`;
