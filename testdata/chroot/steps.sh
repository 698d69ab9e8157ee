# shellcheck shell=bash
# Step bookkeeping for the scripted runs (testdata/e2e/run, testdata/e2e-cross/run):
# each step prints its name and duration, a failing step ends the run with its
# name, an independent check is reported and the run goes on, and a summary
# table closes the run. Set run_name (E2E, ...) and `set -eEuo pipefail`, then
# source it; it installs an ERR trap.
#
#   step NAME FUNCTION [ARG...]   a step later steps build on
#   check NAME FUNCTION [ARG...]  an independent step, run in a subshell: it sets
#                                 no variable for later steps
#   finish                        the summary; exit 1 when a check failed, else
#                                 "<run_name> PASSED"
#   print_summary                 the table of steps and the total
#   fail MESSAGE                  print MESSAGE and return 1

run_name=${run_name:-run}
step_name="(setup)"
step_start=0
run_start=$(date +%s.%N)
summary=()
failed_checks=()

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

step() {
	step_name=$1
	shift
	step_start=$(now)
	printf '\n==> %s\n' "$step_name"
	"$@"
	local t
	t=$(elapsed "$step_start")
	summary+=("$(printf '%-32s ok   %7s s' "$step_name" "$t")")
	printf '<== %s: ok (%s s)\n' "$step_name" "$t"
}

on_error() {
	local rc=$? line=$1
	trap - ERR
	# In a command substitution the parent reports, once.
	[ "$BASH_SUBSHELL" -gt 0 ] && exit "$rc"
	printf '\n!!! %s FAILED in step "%s" (line %s, exit %s) after %s s in the step\n' \
		"$run_name" "$step_name" "$line" "$rc" "$(elapsed "$step_start")" >&2
	summary+=("$(printf '%-32s FAIL %7s s' "$step_name" "$(elapsed "$step_start")")")
	print_summary >&2
	exit 1
}
trap 'on_error $LINENO' ERR

check() {
	step_name=$1
	shift
	step_start=$(now)
	printf '\n==> %s\n' "$step_name"
	local rc t
	trap - ERR
	set +e
	(
		set -e
		check_level=$BASH_SUBSHELL
		trap 'check_error $LINENO' ERR
		"$@"
	)
	rc=$?
	set -e
	trap 'on_error $LINENO' ERR
	t=$(elapsed "$step_start")
	if [ "$rc" = 0 ]; then
		summary+=("$(printf '%-32s ok   %7s s' "$step_name" "$t")")
		printf '<== %s: ok (%s s)\n' "$step_name" "$t"
	else
		summary+=("$(printf '%-32s FAIL %7s s' "$step_name" "$t")")
		failed_checks+=("$step_name")
		printf '!!! %s: FAILED (exit %s, %s s); the run goes on\n' "$step_name" "$rc" "$t" >&2
	fi
}

check_error() {
	local rc=$?
	trap - ERR
	# In a command substitution the check's subshell reports, once.
	[ "$BASH_SUBSHELL" -gt "$check_level" ] && exit "$rc"
	printf '!!! %s: command failed at line %s (exit %s)\n' "$step_name" "$1" "$rc" >&2
	exit "$rc"
}

print_summary() {
	printf '\nstep                             result    time\n'
	printf '%s\n' "${summary[@]}"
	printf '%-32s      %7s s\n' total "$(elapsed "$run_start")"
}

finish() {
	print_summary
	if [ ${#failed_checks[@]} -gt 0 ]; then
		printf '\n%s FAILED: %d independent step(s) failed: %s\n' "$run_name" \
			"${#failed_checks[@]}" "$(printf '"%s" ' "${failed_checks[@]}")" >&2
		exit 1
	fi
	echo "$run_name PASSED"
}

fail() {
	printf '!!! %s\n' "$*" >&2
	return 1
}
