#!/usr/bin/env bash
# The image's entrypoint: `artifact "$@"`, after checking that the directories the command writes
# are writable by the container's user. A host directory made by `mkdir -p results` belongs to the
# host user, not to the image's uid 10001, so without `docker run --user "$(id -u):$(id -g)"` the
# first write would fail deep inside the run; here it is one sentence with the remedy, exit 2
# (bad input, artifact/errors.py ExitCode.USAGE), before any work.
set -euo pipefail

USAGE_EXIT=2
# The image's params.yaml: paths.out `results` and paths.data_dir `data` (links to the volumes).
DEFAULT_OUT=${ARTIFACT_DEFAULT_OUT:-/opt/artifact/results}
DEFAULT_DATA=${ARTIFACT_DEFAULT_DATA:-/opt/artifact/data}

# The nearest existing directory that a write to $1 needs: $1 itself if it is a directory,
# otherwise its closest existing ancestor (where the missing folders would be created).
needed_dir() {
    local path=$1
    [[ -d $path ]] && { printf '%s\n' "$path"; return; }
    path=$(dirname -- "$path")
    while [[ ! -d $path && $path != / && $path != . ]]; do path=$(dirname -- "$path"); done
    printf '%s\n' "$path"
}

require_writable() {  # $1: the path the command writes, $2: what it is (for the sentence)
    local dir
    dir=$(needed_dir "$1")
    if [[ ! -w $dir || ! -x $dir ]]; then
        echo "error: the $2 $1 is not writable by this container's user (uid $(id -u), gid $(id -g)); run \`docker run --user \"\$(id -u):\$(id -g)\" ...\` so the container writes as the owner of the host directory, or make that directory writable for uid $(id -u)." >&2
        exit "$USAGE_EXIT"
    fi
}

command=${1:-}
subcommand=${2:-}
out="" dir=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
        --out) out=${args[i + 1]:-} ;;
        --out=*) out=${args[i]#--out=} ;;
        --dir) dir=${args[i + 1]:-} ;;
        --dir=*) dir=${args[i]#--dir=} ;;
    esac
done

case $command in
    reproduce)  # writes the outputs and prepares (or fetches) the data
        require_writable "${out:-$DEFAULT_OUT}" "output directory"
        require_writable "$DEFAULT_DATA" "data directory"
        ;;
    train)
        require_writable "${out:-$DEFAULT_OUT}" "output directory"
        ;;
    data)
        case $subcommand in
            fetch) require_writable "${dir:-$DEFAULT_DATA/official}" "data directory" ;;
            prepare) require_writable "$DEFAULT_DATA" "data directory" ;;
            *) [[ -n $out ]] && require_writable "$out" "output file" ;;
        esac
        ;;
    *)  # any other command that writes does so to --out
        [[ -n $out ]] && require_writable "$out" "output path"
        ;;
esac
exec artifact "$@"
