"""`git train completion bash|zsh|fish`: a shell completion script, Click's plus git's hook.

Click completes `git-train ...` by running it with ``_GIT_TRAIN_COMPLETE`` set;
the lines added here hand `git train ...` (git's own completion) to the same function.
"""

from __future__ import annotations

import click

from gittrain.cli.options import CONTEXT

COMPLETE_VAR = "_GIT_TRAIN_COMPLETE"
PROG = "git-train"
SHELLS = ("bash", "zsh", "fish")

# git's bash completion calls _git_<command> for `git <command> ...`.
_BASH_GIT = r"""
# `git train <TAB>`: git's own completion (git-completion.bash) calls _git_train.
_git_train() {
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == train ]]; then
            local COMP_WORDS=(git-train "${COMP_WORDS[@]:i+1}")
            local COMP_CWORD=$((COMP_CWORD - i))
            COMPREPLY=()
            _git_train_completion git-train
            return 0
        fi
    done
}
"""

# zsh's _git calls _git-<command>, with words starting at the command's name.
_ZSH_GIT = r"""
# `git train <TAB>`: zsh's _git calls _git-train with `train` as the first word.
_git-train() {
    _git_train_completion "$@"
}
"""

_FISH_GIT = r"""
# `git train <TAB>`: the same completions, with `git ... train` read as `git-train`.
function _git_train_git_completion
    set -l line (commandline -cp | string replace -r '^.*?\btrain\b' 'git-train')
    set -l response (env _GIT_TRAIN_COMPLETE=fish_complete COMP_WORDS=$line \
        COMP_CWORD=(commandline -t) git-train)
    for completion in $response
        set -l metadata (string split "," $completion)
        if test $metadata[1] = "dir"
            __fish_complete_directories $metadata[2]
        else if test $metadata[1] = "file"
            __fish_complete_path $metadata[2]
        else if test $metadata[1] = "plain"
            echo $metadata[2]
        end
    end
end

complete --no-files --command git --condition '__fish_seen_subcommand_from train' \
    --arguments "(_git_train_git_completion)"
"""

_GIT = {"bash": _BASH_GIT, "zsh": _ZSH_GIT, "fish": _FISH_GIT}


@click.command(context_settings=CONTEXT)
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL (`git train` and `git-train` both complete).

    \b
    bash: eval "$(git train completion bash)"      (in ~/.bashrc)
    zsh:  eval "$(git train completion zsh)"       (in ~/.zshrc, after compinit)
    fish: git train completion fish > ~/.config/fish/completions/git-train.fish
    """
    from click.shell_completion import get_completion_class

    from gittrain.cli.app import cli

    complete = get_completion_class(shell)
    assert complete is not None  # every name in SHELLS is one of Click's
    script = complete(cli, {}, PROG, COMPLETE_VAR).source()
    click.echo(script.rstrip("\n") + "\n" + _GIT[shell], nl=False)
