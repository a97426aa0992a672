/**
 * `connector completion bash|zsh|fish`: prints a completion script generated from the
 * commander program, so it lists exactly the commands and flags that `--help` shows.
 *
 * Each script finds the command path (`scopes add`) by skipping flags and the values of flags
 * that take one, then offers subcommands, flags, the choices of a flag's value, or file names
 * for `-f/--file` and other path values.
 */

import type { Argument, Command, Option } from 'commander';

import type { Deps } from '../cli/deps.js';
import { UsageError } from '../cli/errors.js';
import { printJson } from '../cli/output.js';
import { commandNames } from '../cli/command-names.js';
import { buildProgram, type CommandTable } from '../cli/program.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

interface OptionSpec {
  short?: string;
  long?: string;
  description: string;
  takesValue: boolean;
  choices: string[];
  /** True when the value is a path, so the shell offers file names. */
  isPath: boolean;
}

interface CommandSpec {
  /** Words after `connector`, such as `scopes add`, or '' for the program itself. */
  path: string;
  subcommands: Array<{ name: string; description: string }>;
  options: OptionSpec[];
  /** Choices of the command's arguments, such as the shells of `completion`. */
  argumentChoices: string[];
  /** True when an argument is free text, such as a file or a URL, so file names are offered. */
  freeArguments: boolean;
}

/** Prints the script, or `{shell, script}` under `--json`. */
export async function run(args: unknown[], _options: Record<string, unknown>, deps: Deps): Promise<void> {
  const shell = String(args[0]);
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`no completion script for ${JSON.stringify(shell)}`, { hint: `choose one of ${SHELLS.join(', ')}` });
  }

  const program = buildProgram(
    deps.io,
    () => {
      throw new Error('the completion model runs no command');
    },
    declarationsOnly(),
  );
  const text = completionScript(shell as Shell, describeProgram(program));
  if (deps.options.json) printJson(deps.io, { shell, script: text });
  else deps.io.stdout.write(text);
}

/** Returns a table that declares every command but loads none, so this bundle needs no other command's code. */
function declarationsOnly(): CommandTable {
  const unused = () => Promise.reject(new Error('the completion model runs no command'));
  return Object.fromEntries(commandNames.map((name) => [name, unused]));
}

/** Returns the completion script for `shell`. */
export function completionScript(shell: Shell, specs: CommandSpec[]): string {
  switch (shell) {
    case 'bash':
      return bashScript(specs);
    case 'zsh':
      return zshScript(specs);
    case 'fish':
      return fishScript(specs);
  }
}

/** Walks the program's commands, depth first, into one spec per command path. */
export function describeProgram(program: Command): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const visit = (command: Command, path: string) => {
    const visible = command.commands.filter((sub) => !(sub as Command & { _hidden?: boolean })._hidden);
    specs.push({
      path,
      subcommands: visible.map((sub) => ({ name: sub.name(), description: sub.description() })),
      options: [...command.options.filter((option) => !option.hidden).map(optionSpec), HELP_OPTION],
      argumentChoices: command.registeredArguments.flatMap((argument: Argument) => argument.argChoices ?? []),
      freeArguments: command.registeredArguments.some((argument: Argument) => argument.argChoices === undefined),
    });
    for (const sub of visible) visit(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  visit(program, '');
  return specs;
}

const HELP_OPTION: OptionSpec = { short: '-h', long: '--help', description: 'show help for a command', takesValue: false, choices: [], isPath: false };

function optionSpec(option: Option): OptionSpec {
  const spec: OptionSpec = {
    description: option.description,
    takesValue: option.required || option.optional,
    choices: option.argChoices ?? [],
    isPath: /<(path|file|dir)[^>]*>/i.test(option.flags),
  };
  if (option.short !== undefined) spec.short = option.short;
  if (option.long !== undefined) spec.long = option.long;
  return spec;
}

function flagsOf(option: OptionSpec): string[] {
  return [option.short, option.long].filter((flag): flag is string => flag !== undefined);
}

function valueFlags(spec: CommandSpec, filter: (option: OptionSpec) => boolean = () => true): string {
  return spec.options.filter((option) => option.takesValue && filter(option)).flatMap(flagsOf).join(' ');
}

/** Builds a shell `case` statement over the command paths, with each branch from `body`. */
function caseOverPaths(specs: CommandSpec[], indent: string, body: (spec: CommandSpec) => string | undefined): string {
  const branches = specs.flatMap((spec) => {
    const text = body(spec);
    return text === undefined ? [] : [`${indent}  ${shellQuote(spec.path)}) ${text} ;;`];
  });
  return [`${indent}case "$1" in`, ...branches, `${indent}esac`].join('\n');
}

/** Quotes for bash and zsh: single quotes, with each `'` closed, written in double quotes, and reopened. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

function choiceBranches(specs: CommandSpec[], indent: string, emit: (choices: string) => string): string {
  const branches = specs.flatMap((spec) =>
    spec.options
      .filter((option) => option.choices.length > 0)
      .flatMap((option) => flagsOf(option).map((flag) => `${indent}  ${shellQuote(`${spec.path}|${flag}`)}) ${emit(option.choices.join(' '))} ;;`)),
  );
  return [`${indent}case "$1|$2" in`, ...branches, `${indent}esac`].join('\n');
}

/** Renders the shell functions bash and zsh share: value flags, path flags and choices per command path. */
function lookupFunctions(specs: CommandSpec[]): string {
  return `_connector_value_flags() {
${caseOverPaths(specs, '  ', (spec) => `echo ${shellQuote(valueFlags(spec))}`)}
}

_connector_path_flags() {
${caseOverPaths(specs, '  ', (spec) => `echo ${shellQuote(valueFlags(spec, (option) => option.isPath))}`)}
}

_connector_choices() {
${choiceBranches(specs, '  ', (choices) => `echo ${shellQuote(choices)}`)}
}

_connector_argument_choices() {
${caseOverPaths(specs, '  ', (spec) => (spec.argumentChoices.length === 0 ? undefined : `echo ${shellQuote(spec.argumentChoices.join(' '))}`))}
}
`;
}

function bashScript(specs: CommandSpec[]): string {
  return `# bash completion for connector, generated by \`connector completion bash\`.
# Install: connector completion bash > ~/.local/share/bash-completion/completions/connector
# or add to ~/.bashrc: source <(connector completion bash)

_connector_subcommands() {
${caseOverPaths(specs, '  ', (spec) => (spec.subcommands.length === 0 ? undefined : `echo ${shellQuote(spec.subcommands.map((sub) => sub.name).join(' '))}`))}
}

_connector_flags() {
${caseOverPaths(specs, '  ', (spec) => `echo ${shellQuote(spec.options.flatMap(flagsOf).join(' '))}`)}
}

${lookupFunctions(specs)}

_connector() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" command_path="" word i
  ((COMP_CWORD > 0)) && prev="\${COMP_WORDS[COMP_CWORD-1]}"

  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in
      --*=*) continue ;;
      -*)
        [[ " $(_connector_value_flags "$command_path") " == *" $word "* ]] && ((i++))
        continue
        ;;
    esac
    if [[ " $(_connector_subcommands "$command_path") " == *" $word "* ]]; then
      command_path="\${command_path:+$command_path }$word"
    fi
  done

  if [[ "$prev" == -* && " $(_connector_value_flags "$command_path") " == *" $prev "* ]]; then
    local choices
    choices="$(_connector_choices "$command_path" "$prev")"
    if [[ -n "$choices" ]]; then
      COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    elif [[ " $(_connector_path_flags "$command_path") " == *" $prev "* ]]; then
      COMPREPLY=($(compgen -f -- "$cur"))
    else
      COMPREPLY=()
    fi
    return
  fi

  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_connector_flags "$command_path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_connector_subcommands "$command_path") $(_connector_argument_choices "$command_path")" -- "$cur"))
  fi
}

complete -o default -F _connector connector
`;
}

/** Escapes `name:description` for zsh's `_describe`, where a colon in the name must be escaped. */
function describeEntry(name: string, description: string): string {
  return shellQuote(`${name.replaceAll(':', '\\:')}:${description.replace(/\s+/g, ' ')}`);
}

function zshScript(specs: CommandSpec[]): string {
  return `#compdef connector
# zsh completion for connector, generated by \`connector completion zsh\`.
# Install: connector completion zsh > "\${fpath[1]}/_connector", then start a new shell;
# or add to ~/.zshrc, after compinit: source <(connector completion zsh)

_connector_subcommands() {
  reply=()
${caseOverPaths(specs, '  ', (spec) => (spec.subcommands.length === 0 ? undefined : `reply=(${spec.subcommands.map((sub) => describeEntry(sub.name, sub.description)).join(' ')})`))}
}

_connector_flags() {
  reply=()
${caseOverPaths(specs, '  ', (spec) => `reply=(${spec.options.flatMap((option) => flagsOf(option).map((flag) => describeEntry(flag, option.description))).join(' ')})`)}
}

${lookupFunctions(specs)}

_connector() {
  local command_path="" word prev="\${words[CURRENT-1]}" i
  local -a reply names

  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    case "$word" in
      --*=*) continue ;;
      -*)
        [[ " $(_connector_value_flags "$command_path") " == *" $word "* ]] && ((i++))
        continue
        ;;
    esac
    _connector_subcommands "$command_path"
    names=("\${reply[@]%%:*}")
    if (( \${names[(Ie)$word]} )); then
      command_path="\${command_path:+$command_path }$word"
    fi
  done

  if [[ "$prev" == -* && " $(_connector_value_flags "$command_path") " == *" $prev "* ]]; then
    local choices="$(_connector_choices "$command_path" "$prev")"
    if [[ -n "$choices" ]]; then
      compadd -- \${=choices}
    elif [[ " $(_connector_path_flags "$command_path") " == *" $prev "* ]]; then
      _files
    else
      _message 'value'
    fi
    return
  fi

  if [[ "$PREFIX" == -* ]]; then
    _connector_flags "$command_path"
    _describe -t flags 'flag' reply
    return
  fi

  _connector_subcommands "$command_path"
  if (( \${#reply} )); then
    _describe -t commands 'command' reply
    return
  fi
  local argument_choices="$(_connector_argument_choices "$command_path")"
  if [[ -n "$argument_choices" ]]; then
    compadd -- \${=argument_choices}
  else
    _files
  fi
}

if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _connector "$@"
else
  compdef _connector connector
fi
`;
}

function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, (char) => `\\${char}`)}'`;
}

function fishScript(specs: CommandSpec[]): string {
  const lines: string[] = [];
  for (const spec of specs) {
    const at = `-n ${fishQuote(`__connector_at ${fishQuote(spec.path)}`)}`;
    for (const sub of spec.subcommands) {
      lines.push(`complete -c connector ${at} -a ${fishQuote(sub.name)} -d ${fishQuote(oneLine(sub.description))}`);
    }
    if (!spec.freeArguments) lines.push(`complete -c connector ${at} -f`);
    if (spec.argumentChoices.length > 0) lines.push(`complete -c connector ${at} -a ${fishQuote(spec.argumentChoices.join(' '))}`);
    for (const option of spec.options) {
      const flags = [option.short === undefined ? '' : `-s ${option.short.slice(1)}`, option.long === undefined ? '' : `-l ${option.long.slice(2)}`].filter((part) => part !== '');
      lines.push(`complete -c connector ${at} ${flags.join(' ')}${fishValue(option)} -d ${fishQuote(oneLine(option.description))}`);
    }
  }

  const pathCases = specs
    .filter((spec) => spec.subcommands.length > 0)
    .map((spec) => `        case ${fishQuote(spec.path)}\n            printf '%s\\n' ${spec.subcommands.map((sub) => fishQuote(sub.name)).join(' ')}`)
    .join('\n');
  const valueCases = specs
    .map((spec) => `        case ${fishQuote(spec.path)}\n            printf '%s\\n' ${spec.options.filter((option) => option.takesValue).flatMap(flagsOf).map(fishQuote).join(' ')}`)
    .join('\n');

  return `# fish completion for connector, generated by \`connector completion fish\`.
# Install: connector completion fish > ~/.config/fish/completions/connector.fish

function __connector_subcommands
    switch $argv[1]
${pathCases}
    end
end

function __connector_value_flags
    switch $argv[1]
${valueCases}
    end
end

# Prints the command path of the line being completed, such as "scopes add".
function __connector_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l command_path ''
    set -l skip 0
    for token in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $token
            case '--*=*'
                continue
            case '-*'
                if contains -- $token (__connector_value_flags $command_path)
                    set skip 1
                end
                continue
        end
        if contains -- $token (__connector_subcommands $command_path)
            set command_path (string trim "$command_path $token")
        end
    end
    echo $command_path
end

function __connector_at
    set -l current (__connector_path)
    test "$current" = "$argv[1]"
end

${lines.join('\n')}
`;
}

/** Returns how fish completes the value of a flag: its choices, file names, or nothing. */
function fishValue(option: OptionSpec): string {
  if (!option.takesValue) return '';
  if (option.choices.length > 0) return ` -x -a ${fishQuote(option.choices.join(' '))}`;
  if (option.isPath) return ' -r -F';
  return ' -x';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
