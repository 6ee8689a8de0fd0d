'use strict';
/* global require, module, Buffer */
// cdktf-cli 0.21 runs terraform through node-pty only to stream its output and answer its
// prompts: spawn(file, args, { cwd, env, cols, rows }) -> { onData, onExit, write, kill }.
// This stand-in gives it the same API over pipes (stdout and stderr merged, as a terminal
// would show them). Terraform then sees no TTY, which is what CI runs look like anyway.
const { spawn: spawnChild } = require('node:child_process');

function spawn(file, args, options = {}) {
  const child = spawnChild(file, Array.isArray(args) ? args : [args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const dataListeners = [];
  const exitListeners = [];
  let exited;
  const emit = (chunk) => {
    const text = chunk.toString('utf8');
    for (const listener of dataListeners) listener(text);
  };
  child.stdout.on('data', emit);
  child.stderr.on('data', emit);
  child.stdin.on('error', () => undefined);
  const finish = (exitCode, signal) => {
    if (exited) return;
    exited = { exitCode: exitCode ?? (signal ? 1 : 0), signal: signal ?? undefined };
    for (const listener of exitListeners) listener(exited);
  };
  child.on('error', (error) => {
    emit(Buffer.from(`${error.message}\n`));
    finish(127, undefined);
  });
  child.on('close', finish);
  return {
    pid: child.pid,
    onData(listener) {
      dataListeners.push(listener);
      return { dispose: () => dataListeners.splice(dataListeners.indexOf(listener), 1) };
    },
    onExit(listener) {
      if (exited) listener(exited);
      else exitListeners.push(listener);
      return { dispose: () => exitListeners.splice(exitListeners.indexOf(listener), 1) };
    },
    write(data) {
      // a Ctrl+C from cdktf-cli's "stop" action becomes SIGINT, as a terminal would send it
      if (data === '\u0003') child.kill('SIGINT');
      else if (child.stdin.writable) child.stdin.write(data);
    },
    resize() {},
    kill(signal) {
      child.kill(signal);
    },
  };
}

module.exports = { spawn };
