/**
 * The Electron entry point: hands Electron's main-process API to the desktop shell (desktop.ts), which
 * builds the services, serves the contract over IPC and opens the locked-down window.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import { startDesktop } from './desktop.js';

void startDesktop(
  { app, BrowserWindow, dialog, ipcMain, session, shell },
  { argv: process.argv, env: process.env, platform: process.platform, electronVersion: process.versions.electron },
);
