/**
 * The program of the tool launcher's helper process (`node -e`), plain JavaScript that loads
 * only Node's own modules. For each output of a tool it opens a connection of its own to the
 * Unix socket the main process listens on (argv[1]) and writes the header line
 * `<launch id> <fd>`; then it starts the tool, in a process group of its own, with those
 * connections as its outputs, so that the tool writes straight to the main process and no
 * byte passes through the helper. No descriptor ever crosses the IPC channel, which carries
 * only control messages:
 *
 *   main → helper: { type: 'launch', id, executable, args, fds }, { type: 'kill', id }
 *   helper → main: { type: 'launched', id, pid }, { type: 'error', id, error },
 *                  { type: 'exit', id, code, signal, relayed }
 *
 * 'exit' is sent once the tool has exited; `relayed` lists the fds whose connection was made
 * (the main process waits for those to end, and ends the others). A tool killed before it
 * started exits with SIGKILL without running. When the
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
  if (child === undefined || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { try { child.kill('SIGKILL'); } catch {} }
}

function finish(id, tool) {
  tools.delete(id);
  if (!tool.failed) send({ type: 'exit', id, code: tool.code, signal: tool.signal, relayed: tool.relayed });
  if (leaving && tools.size === 0) process.exit(0);
}

function fail(id, tool, error) {
  if (tool.failed) return;
  tool.failed = true;
  send({ type: 'error', id, error: { code: error.code, message: error.message, syscall: error.syscall, path: error.path } });
  tools.delete(id);
  if (leaving && tools.size === 0) process.exit(0);
}

function closeAll(sockets) {
  for (const socket of sockets.values()) socket.destroy();
}

function launch(message) {
  const id = message.id;
  const tool = { child: undefined, relayed: [], code: null, signal: null, failed: false, killed: false };
  tools.set(id, tool);
  // One connection per output, made before the tool starts: the tool then writes into it itself.
  const sockets = new Map();
  let waiting = message.fds.length;
  for (const fd of message.fds) {
    const socket = net.createConnection(socketPath);
    sockets.set(fd, socket);
    socket.once('connect', () => tool.relayed.push(fd));
    socket.once('error', (error) => {
      closeAll(sockets);
      fail(id, tool, { code: error.code, message: 'cannot reach the main process: ' + error.message });
    });
    // Its header goes first: the tool starts once every header is written.
    socket.write(id + ' ' + fd + '\n', (error) => {
      if (error || tool.failed) return;
      waiting -= 1;
      if (waiting === 0) start(message, tool, sockets);
    });
  }
}

function start(message, tool, sockets) {
  const id = message.id;
  if (tool.killed) {
    closeAll(sockets);
    tool.signal = 'SIGKILL';
    finish(id, tool);
    return;
  }
  const stdio = ['ignore'];
  for (let fd = 1; fd <= Math.max(...message.fds); fd += 1) stdio.push(sockets.get(fd) ?? 'ignore');
  let child;
  try {
    child = spawn(message.executable, message.args, { stdio, detached: true, windowsHide: true });
  } catch (error) {
    closeAll(sockets);
    fail(id, tool, error);
    return;
  }
  // The tool holds its own copies of the connections: ours would keep its outputs from ending.
  closeAll(sockets);
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

function leave() {
  if (leaving) return;
  leaving = true;
  for (const tool of tools.values()) killGroup(tool);
  if (tools.size === 0) process.exit(0);
  // A connection that cannot be made (main gone mid-connect) must not keep us for ever.
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
