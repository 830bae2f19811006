import { Command } from 'commander';
import { defaultContentDir, defaultDetectionsDir } from './paths.js';
import { ExitCode } from './shared.js';

interface ValidateFlags {
  rules: string[];
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check detection YAML, tuning files and technique tables; print every error as file:line:col: message')
    .argument('[paths...]', 'files or directories (default: the shipped content)')
    .option('-r, --rules <paths...>', 'detections to check tuning files against when paths hold none', [defaultDetectionsDir])
    .action(async (paths: string[], flags: ValidateFlags) => {
      process.exitCode = await runValidate(paths.length > 0 ? paths : [defaultContentDir], flags);
    });
}

async function runValidate(paths: string[], flags: ValidateFlags): Promise<number> {
  // imported here, not at the top: the YAML and schema libraries would otherwise load on every command
  const { validateContent } = await import('../rules/validate.js');
  const { errors, notes, warnings, checked } = await validateContent(paths, flags.rules);
  for (const e of errors) process.stdout.write(`${e.file}:${e.line}:${e.col}: ${e.message}\n`);
  for (const w of warnings) process.stdout.write(`${w.file}:${w.line}:${w.col}: warning: ${w.message}\n`);
  for (const n of notes) process.stdout.write(`${n.file}:${n.line}:${n.col}: note: ${n.message}\n`);
  const what = `${checked.detections} detection(s), ${checked.sigma} Sigma rule(s), ${checked.correlations} correlation(s), ${checked.tuning} tuning file(s), ${checked.techniques} technique table(s) (${checked.stories} story file(s) not checked)`;
  const warned = warnings.length > 0 ? `, ${warnings.length} warning(s)` : '';
  process.stderr.write(errors.length > 0 ? `tunnelwatch validate: ${errors.length} error(s)${warned} in ${what}\n` : `tunnelwatch validate: ${what}: OK${warned}\n`);
  return errors.length > 0 ? ExitCode.Findings : ExitCode.Ok;
}
