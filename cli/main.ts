/**
 * `ngsp` (npm run ngsp -- <command>): parses the command line and turns any failure into one
 * sentence and a non-zero exit. The commands live in cli/commands/.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { buildProgram, current } = await import('./program.ts');
const { describeError } = await import('./errors.ts');

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  const { message, expected, exitCode } = describeError(err, { kind: current.target?.kind });
  process.stderr.write(`error: ${message}\n`);
  if (!expected && process.env.NGSP_DEBUG) console.error(err);
  process.exitCode = exitCode;
}
