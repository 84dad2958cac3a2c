# Sourced by the speed scripts: one epoch of the write-up's recipe, and its speed.
#
#   one_epoch LENET OUTPUT [ARGUMENTS...]         prints the images/s of `lenet train --schedule 1x0.0005`
#                                                 (OUTPUT is the run folder, removed afterwards)
#   one_epoch_threads LENET OUTPUT [ARGUMENTS...] prints the images/s and the percentage of the
#                                                 training that ran on one thread, the pool having
#                                                 measured sharing out slower (0 when it says nothing)
one_epoch_threads() {
    local lenet=$1 output=$2
    shift 2
    "$lenet" train --schedule 1x0.0005 --output "$output" --quiet "$@" 2>&1 | awk '
        match($0, /\([0-9]+ images\/s\)/) { rate = substr($0, RSTART + 1, RLENGTH - 11) }
        match($0, /threads, [0-9]+% of the training ran on one/) { split(substr($0, RSTART + 9), p, "%"); alone = p[1] }
        END { printf "%s %d\n", rate, alone }'
    rm -rf "$output"
}

one_epoch() {
    one_epoch_threads "$@" | cut -d' ' -f1
}
