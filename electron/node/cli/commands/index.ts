/** Every CLI subcommand, in the order `--help` lists them. */
import type { Command } from '../command.js';
import { doctorCommand } from './doctor.js';
import { infoCommand } from './info.js';
import { serveCommand } from './serve.js';
import { importCommand } from './import.js';
import { datasetCommand } from './dataset.js';
import { evaluateCommand } from './evaluate.js';
import { exportCommand } from './exportModel.js';
import { predictCommand } from './predict.js';
import { trainCommand } from './train.js';
import { labelIssuesCommand } from './labelIssues.js';

export const commands: Command[] = [infoCommand, doctorCommand, serveCommand, importCommand, datasetCommand, trainCommand, evaluateCommand, predictCommand, exportCommand, labelIssuesCommand];
