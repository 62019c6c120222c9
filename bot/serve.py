"""`python -m bot.serve run ...`: ``rasa run`` with its API token taken from the environment, and our turn speedups.

Why: ``rasa run`` reads its token only from ``--auth-token``, and a command line is public: ``ps``
shows it to every user of the machine, and process listings end up in logs and bug reports. Here
the launcher passes the token in ``SHOP_RASA_TOKEN`` (an environment only its owner can read) and
this wrapper hands it to Rasa's own argument parser inside the process, so ``/proc/<pid>/cmdline``
never holds it. The REST channel reads the same variable through ``bot/credentials*.yml``.
"""

from __future__ import annotations

import os
import sys

TOKEN_VARIABLE = "SHOP_RASA_TOKEN"


def rasa_argv(argv: list[str], environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """Rasa's argv: the given arguments, plus ``--auth-token=TOKEN`` from the environment for ``run``.

    ``=`` form, because a random token may start with "-" and argparse would read
    ``--auth-token -x...`` as a missing value followed by an unknown option.
    """
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in argv):
        raise SystemExit("error: pass the token in the environment, not as --auth-token (the command line is public)")
    if argv[:1] != ["run"]:  # other commands (test, shell) serve no HTTP API
        return ["rasa", *argv]
    token = environ.get(TOKEN_VARIABLE, "")
    if not token:
        raise SystemExit(f"error: {TOKEN_VARIABLE} is not set; the launcher (shop/ops/stack.py) passes Rasa's API token in it")
    return ["rasa", *argv, f"--auth-token={token}"]


def main() -> None:
    sys.argv = rasa_argv(sys.argv[1:], os.environ)
    from bot.turn_speedups import install as install_speedups
    from shop.turn_profile import profile_path

    install_speedups()  # before Rasa loads anything: the same turn, less work (see the module)

    if profile_path() is not None:  # only for benchmarks/turn_cost.py
        from bot.turn_profile import install

        install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
