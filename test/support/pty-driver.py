"""Runs a command in a pseudo-terminal and answers its prompts.

Usage: pty-driver.py SCRIPT_JSON -- COMMAND...
SCRIPT_JSON is a list of [pattern, reply] pairs: wait until the screen output matches the
regular expression `pattern` (searched in the output since the previous match), then type
`reply`. Prints one JSON object: the exit code, the whole output, and the step that timed
out, if any. Node has no built-in pty, and the npm pty packages build native code at install.
"""
import json
import os
import pty
import re
import select
import sys
import time

STEP_TIMEOUT_SECONDS = 15


def main() -> None:
    separator = sys.argv.index("--")
    script = json.loads(sys.argv[1])
    command = sys.argv[separator + 1 :]

    pid, fd = pty.fork()
    if pid == 0:
        os.environ["COLUMNS"] = "120"
        os.execvp(command[0], command)

    output = b""
    consumed = 0
    failed_step = None
    for index, (pattern, reply) in enumerate(script):
        deadline = time.monotonic() + STEP_TIMEOUT_SECONDS
        regex = re.compile(pattern.encode())
        while True:
            match = regex.search(output, consumed)
            if match:
                consumed = match.end()
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                failed_step = index
                break
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    failed_step = index
                    break
                output += chunk
        if failed_step is not None:
            break
        os.write(fd, reply.encode())

    if failed_step is not None:
        os.kill(pid, 9)
    # Drain until the child closes the terminal.
    while True:
        try:
            ready, _, _ = select.select([fd], [], [], STEP_TIMEOUT_SECONDS)
            if not ready:
                break
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"code": code, "output": output.decode("utf-8", "replace"), "failedStep": failed_step}))


if __name__ == "__main__":
    main()
