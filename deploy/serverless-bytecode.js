'use strict';
// A local serverless plugin: after the zips are built (and serverless-python-requirements,
// listed before this plugin in serverless.yml, has put the dependencies in), add bytecode
// to each zip with deploy/bytecode.py (why: its docstring). Runs offline, no AWS call.
const path = require('path');
const { spawnSync } = require('child_process');

class BytecodePlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:createDeploymentArtifacts': () => this.compile() };
  }

  artifacts() {
    const service = this.serverless.service;
    const found = new Set();
    if (service.package && service.package.artifact) found.add(service.package.artifact);
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      if (fn.package && fn.package.artifact) found.add(fn.package.artifact);
    }
    return [...found].map((a) => path.resolve(this.serverless.serviceDir, a));
  }

  compile() {
    const python = process.env.MESHHOOK_BUILD_PYTHON || 'python3.11';
    const script = path.join(__dirname, 'bytecode.py');
    const result = spawnSync(python, [script, ...this.artifacts()], { stdio: 'inherit' });
    if (result.error || result.status !== 0) {
      throw new this.serverless.classes.Error(
        `deploy/bytecode.py failed (${result.error ? result.error.message : `exit ${result.status}`})`);
    }
  }
}

module.exports = BytecodePlugin;
