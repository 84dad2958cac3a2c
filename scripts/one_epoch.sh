# Sourced by the speed scripts: one epoch of the write-up's recipe, and its speed.
#
#   one_epoch LENET OUTPUT [ARGUMENTS...]    prints the images/s of `lenet train --schedule 1x0.0005`
#                                            (OUTPUT is the run folder, removed afterwards)
one_epoch() {
    local lenet=$1 output=$2
    shift 2
    "$lenet" train --schedule 1x0.0005 --output "$output" --quiet "$@" 2>&1 |
        sed -n 's/.*(\([0-9]*\) images\/s).*/\1/p'
    rm -rf "$output"
}
