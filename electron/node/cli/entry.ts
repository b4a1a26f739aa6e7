#!/usr/bin/env node
import { cliEntry } from './main.js';

await cliEntry();
