#!/usr/bin/env node
// Launcher: runs the TypeScript CLI directly (tsx's CommonJS loader), so there is no build step.
"use strict";
require("tsx/cjs");
require("../drift/cli.ts").run();
