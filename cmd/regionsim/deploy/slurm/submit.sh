#!/bin/bash
# Submits a sharded regionsim sweep: the job array of sweep.sbatch, then
# merge.sbatch, which Slurm starts only after every task of the array has
# succeeded (afterok on the array's job id). Run it from the directory the
# parts and results should go under (or set PARTS and RESULTS), e.g.
#
#   REGIONSIM=$HOME/bin/regionsim cmd/regionsim/deploy/slurm/submit.sh
#
# Extra arguments go to both sbatch calls (e.g. --partition=batch).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export REGIONSIM=${REGIONSIM:-regionsim}
export PARTS=${PARTS:-$PWD/regionsim-parts}
export RESULTS=${RESULTS:-$PWD/regionsim-results}

# --parsable prints "jobid" or "jobid;cluster".
array=$(sbatch --parsable "$@" "$here/sweep.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable "$@" --dependency="afterok:$array" "$here/merge.sbatch")
merge=${merge%%;*}
echo "sweep: job array $array; merge: job $merge (after every task of $array succeeds)"
echo "parts: $PARTS  results: $RESULTS"
