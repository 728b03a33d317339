# kubectl-mem cgroup collector, output format 1.  POSIX sh; runs under busybox sh.
#
# Prints the memory files of a node's kubepods cgroup tree in a compact, line-oriented format that
# kubectl_mem/model/cgroup/parse.py parses. The same script runs in the collector pod and, for
# `--from-dir`, locally (kubectl_mem/kube/cgroup_dir.py).
#
# Configuration comes ONLY from these environment variables; nothing else is read from outside:
#   CGROUP_ROOT  where the host's /sys/fs/cgroup is mounted. Default /host/sys/fs/cgroup (the
#                collector pod mounts the host's /sys/fs/cgroup there, read-only). It may also point
#                straight at a cgroup v1 memory hierarchy (a copy of /sys/fs/cgroup/memory).
#   MEMINFO      the meminfo file. Default /proc/meminfo: the pod's own /proc (only /sys/fs/cgroup is
#                mounted from the host). Without lxcfs a container's /proc/meminfo is the kernel's
#                global one, i.e. the host's MemTotal / MemAvailable. With lxcfs (or a similar
#                FUSE overlay) it shows the collector container's own limit instead; the parser
#                cannot tell, so nodes using lxcfs get a wrong node memory.available. Set to an
#                empty string to skip meminfo.
#   MOUNTINFO    the mount table read to see whether a cgroup v2 root was mounted with
#                `memory_localevents`. Default /proc/self/mountinfo: the collector pod's own, which
#                shows the host's cgroup2 mount (bind-mounted at CGROUP_ROOT) with its superblock
#                options.
#
# Output (every line starts with a tag; directives start with '@'; data lines never do):
#   @kubectl-mem-cgroups 1                     magic and format version, always the first line
#   @info cgroup=v2|v1|hybrid|none memroot=REL psi=REL|- events=hierarchical|local|-
#                                              memroot: the memory hierarchy, relative to CGROUP_ROOT
#                                              psi: where memory.pressure is read (hybrid: unified)
#                                              events: what a cgroup's OOM counters count. local:
#                                              its own processes only (v1 memory.oom_control; v2
#                                              mounted with memory_localevents); hierarchical: it
#                                              and every descendant, removed ones included (v2
#                                              memory.events, the default); -: no cgroup2 mount
#                                              at CGROUP_ROOT in MOUNTINFO (a copied tree)
#   @keys K1 K2 ...                            key order of the `s` lines below
#   @warn TEXT                                 something the reader should know (zero or more)
#   @meminfo                                   followed by `mi` lines: raw /proc/meminfo lines
#   mi MemTotal:       16337584 kB
#   @kubepods REL | @kubepods -                the kubepods cgroup, relative to memroot; - if none
#   @cg KIND REL                               a cgroup (KIND root|kubepods|qos|pod), REL relative
#                                              to memroot ("." for the root)
#   @ctr NAME                                  a child cgroup of the last `@cg pod` (a container,
#                                              the sandbox, a conmon scope ...)
#   S K V K V ...                              whole memory.stat as key/value pairs (root,
#                                              kubepods, qos)
#   s V1 V2 ...                                memory.stat values in @keys order, '-' when the key
#                                              is absent (pods and containers: keeps the output
#                                              small)
#   m CUR MAX PEAK SWAP HIGH                   v2: memory.current memory.max memory.peak
#                                              memory.swap.current memory.high
#   m USAGE LIMIT MAXUSAGE MEMSW FAILCNT       v1: memory.usage_in_bytes limit_in_bytes
#                                              max_usage_in_bytes memsw.usage_in_bytes failcnt
#   e LOW HIGH MAX OOM OOM_KILL OOM_GROUP_KILL v2 memory.events (see events= above)
#   o OOM_KILL_DISABLE UNDER_OOM OOM_KILL      v1 memory.oom_control (always local: the kernel
#                                              counts an OOM kill only in the cgroup of the killed
#                                              process, i.e. a container's, never in its pod's)
#   p S10 S60 S300 STOTAL F10 F60 F300 FTOTAL  memory.pressure, some then full (total in usec)
#   @end N                                     N = number of @cg and @ctr blocks; always last
# A missing file gives no line; a missing value inside a line is '-'. A block ends at the next
# @cg, @ctr, @kubepods, @meminfo or @end line (@warn and directives a reader does not know do not
# end it). When `@end` is missing the output was cut and the last block may be partial; readers
# drop it. Data lines start with a lower- or upper-case tag and never with '@'.
#
# Cost: the shell finds the cgroups with globs (no process per directory) and a single awk reads
# every file with getline, so a full node costs two processes, not one per file.

LC_ALL=C
export LC_ALL
nl='
'
root=${CGROUP_ROOT:-/host/sys/fs/cgroup}
root=${root%/}
[ -n "$root" ] || root=/
meminfo=${MEMINFO-/proc/meminfo}
mountinfo=${MOUNTINFO:-/proc/self/mountinfo}

printf '@kubectl-mem-cgroups 1\n'
case $root$meminfo$mountinfo in
*"$nl"*)
	# paths are printed in @warn lines: a newline would forge output lines
	printf '@info cgroup=none memroot=- psi=- events=-\n@warn CGROUP_ROOT, MEMINFO or MOUNTINFO contains a newline\n@end 0\n'
	exit 0
	;;
esac
if ! command -v awk >/dev/null 2>&1; then
	printf '@info cgroup=none memroot=- psi=- events=-\n@warn no awk in the collector image: it needs a POSIX awk'
	printf ' (busybox has one)\n@end 0\n'
	exit 0
fi

mode=none
mem=
memrel=-
psi=
psirel=-
if [ -f "$root/cgroup.controllers" ]; then
	mode=v2
	mem=$root
	memrel=.
	psi=$root
	psirel=.
elif [ -f "$root/memory/memory.usage_in_bytes" ]; then
	mem=$root/memory
	memrel=memory
	if [ -f "$root/unified/cgroup.controllers" ]; then
		mode=hybrid
		psi=$root/unified
		psirel=unified
	else
		mode=v1
	fi
elif [ -f "$root/memory.usage_in_bytes" ]; then
	mode=v1
	mem=$root
	memrel=.
fi
# What the OOM counters count. v1 memory.oom_control is local (memcg_memory_event does not
# propagate on v1). v2 memory.events is hierarchical unless the cgroup2 superblock has
# memory_localevents: the last mount at $root in the mount table says (field 5 is the mount
# point; after the "-" separator come the fs type, the source and the superblock options).
events=-
case $mode in
v1|hybrid) events=local ;;
v2)
	events=$(awk -v mp="$root" '
		$5 == mp {
			for (i = 7; i < NF; i++) if ($i == "-") break
			o = ($(i + 1) == "cgroup2") ? "," $(i + 3) "," : ""
		}
		END { print (o == "") ? "-" : (o ~ /,memory_localevents,/) ? "local" : "hierarchical" }
	' "$mountinfo" 2>/dev/null)
	case $events in hierarchical|local) ;; *) events=- ;; esac
	;;
esac
printf '@info cgroup=%s memroot=%s psi=%s events=%s\n' "$mode" "$memrel" "$psirel" "$events"

# r = path of $1 relative to the memory hierarchy ("." for the hierarchy itself)
rel() {
	r=${1#"$mem"}
	r=${r#/}
	[ -n "$r" ] || r=.
}

is_pod() {
	case $1 in
	pod[0-9a-f]*|*-pod[0-9a-f]*.slice) return 0 ;;
	esac
	return 1
}

is_qos() {
	case $1 in
	burstable|besteffort|*-burstable.slice|*-besteffort.slice) return 0 ;;
	esac
	return 1
}

is_kubepods() {
	case $1 in
	kubepods|kubepods.slice|*-kubepods.slice) return 0 ;;
	esac
	return 1
}

# true when directory $1 holds a pod cgroup, directly or in a QoS tier
has_pods() {
	for h in "$1"/*/ "$1"/*/*/; do
		h=${h%/}
		is_pod "${h##*/}" && [ -d "$h" ] && return 0
	done
	return 1
}

# kp = the kubepods cgroup: the usual names first, then a bounded breadth-first search
# (depth 5, 5000 directories) for a kubepods-like name or a directory holding pod cgroups.
find_kubepods() {
	kp=
	for n in kubepods.slice kubepods; do
		if [ -d "$mem/$n" ]; then
			[ -n "$kp" ] || kp=$mem/$n
			if has_pods "$mem/$n"; then
				kp=$mem/$n
				return 0
			fi
		fi
	done
	[ -z "$kp" ] || return 0
	level=$mem
	depth=0
	seen=0
	while [ "$depth" -lt 5 ] && [ -n "$level" ]; do
		next=
		set -f
		old_ifs=$IFS
		IFS=$nl
		# shellcheck disable=SC2086
		set -- $level
		IFS=$old_ifs
		set +f
		for d in "$@"; do
			for c in "$d"/*/; do
				c=${c%/}
				[ -d "$c" ] || continue
				case $c in *"$nl"*) continue ;; esac
				seen=$((seen + 1))
				[ "$seen" -le 5000 ] || return 1
				b=${c##*/}
				if is_kubepods "$b"; then
					kp=$c
					return 0
				fi
				if is_pod "$b"; then
					if is_qos "${d##*/}"; then kp=${d%/*}; else kp=$d; fi
					return 0
				fi
				next=$next$c$nl
			done
		done
		level=$next
		depth=$((depth + 1))
	done
	return 1
}

walk_pod() {
	rel "$1"
	printf 'C pod %s\n' "$r"
	for w in "$1"/*/; do
		w=${w%/}
		[ -d "$w" ] || continue
		case $w in *"$nl"*) continue ;; esac
		printf 'T %s\n' "${w##*/}"
	done
}

# The list of cgroups, one per line, for awk: C KIND REL | T NAME (child of the last pod) |
# K REL (the kubepods cgroup) | W TEXT (a warning)
discover() {
	printf 'C root .\n'
	if ! find_kubepods; then
		printf 'W no kubepods tree found under %s\n' "${mem:-$root}"
		printf 'K -\n'
		return 0
	fi
	rel "$kp"
	printf 'K %s\n' "$r"
	printf 'C kubepods %s\n' "$r"
	for q in "$kp"/*/; do
		q=${q%/}
		case $q in *"$nl"*) continue ;; esac
		is_pod "${q##*/}" && [ -d "$q" ] && walk_pod "$q"
	done
	for q in "$kp"/*/; do
		q=${q%/}
		case $q in *"$nl"*) continue ;; esac
		if is_qos "${q##*/}" && [ -d "$q" ]; then
			rel "$q"
			printf 'C qos %s\n' "$r"
			for p in "$q"/*/; do
				p=${p%/}
				case $p in *"$nl"*) continue ;; esac
				is_pod "${p##*/}" && [ -d "$p" ] && walk_pod "$p"
			done
		fi
	done
}

if [ "$mode" = none ]; then
	printf '@warn no memory cgroup hierarchy found at %s\n' "$root"
	discover() { :; }
fi

discover | KM_MODE=$mode KM_MEM=$mem KM_PSI=$psi KM_MEMINFO=$meminfo awk '
function first(f,   l, r) {
	r = (getline l < f)
	if (r >= 0) close(f)
	if (r > 0 && l != "") return l
	return "-"
}
# The readers below use getline without a variable (it splits into $1.. for free, which is the
# cheapest way through busybox awk); the main rules take what they need from $0 before calling them.
function stat(d, full,   f, r, n, i, out) {
	f = d "/memory.stat"
	split("", sv)
	n = 0
	out = ""
	while ((r = (getline < f)) > 0) {
		if (NF < 2) continue
		n++
		if (full) out = out " " $1 " " $2
		else sv[$1] = $2
	}
	if (r >= 0) close(f)
	if (!n) return
	if (full) { print "S" out; return }
	out = "s"
	for (i = 1; i <= nkeys; i++) out = out " " ((keys[i] in sv) ? sv[keys[i]] : "-")
	print out
}
function pairs(f, names, count,   a, r, n, i, out) {
	split("", pv)
	n = 0
	while ((r = (getline < f)) > 0) {
		if (NF < 2) continue
		pv[$1] = $2
		n++
	}
	if (r >= 0) close(f)
	if (!n) return ""
	split(names, a, " ")
	out = ""
	for (i = 1; i <= count; i++) out = out " " ((a[i] in pv) ? pv[a[i]] : "-")
	return out
}
function pressure(f,   r, i, some, full) {
	some = " - - - -"
	full = " - - - -"
	while ((r = (getline < f)) > 0) {
		if (NF < 5) continue
		for (i = 2; i <= 5; i++) sub(/^[a-z0-9]*=/, "", $i)
		if ($1 == "some") some = " " $2 " " $3 " " $4 " " $5
		else if ($1 == "full") full = " " $2 " " $3 " " $4 " " $5
	}
	if (r >= 0) close(f)
	if (some != " - - - -" || full != " - - - -") print "p" some full
}
function block(d, full, rel,   m, x) {
	stat(d, full)
	if (v2) {
		m = "m " first(d "/memory.current") " " first(d "/memory.max") " " first(d "/memory.peak") " " \
		    first(d "/memory.swap.current") " " first(d "/memory.high")
		if (m != "m - - - - -") print m
		x = pairs(d "/memory.events", "low high max oom oom_kill oom_group_kill", 6)
		if (x != "") print "e" x
	} else {
		m = "m " first(d "/memory.usage_in_bytes") " " first(d "/memory.limit_in_bytes") " " \
		    first(d "/memory.max_usage_in_bytes") " " first(d "/memory.memsw.usage_in_bytes") " " \
		    first(d "/memory.failcnt")
		if (m != "m - - - - -") print m
		x = pairs(d "/memory.oom_control", "oom_kill_disable under_oom oom_kill", 3)
		if (x != "") print "o" x
	}
	if (psi != "") pressure(psi "/" rel "/memory.pressure")
}
BEGIN {
	mode = ENVIRON["KM_MODE"]; mem = ENVIRON["KM_MEM"]; psi = ENVIRON["KM_PSI"]
	v2 = (mode == "v2")
	if (v2) klist = "anon file kernel kernel_stack pagetables sec_pagetables percpu sock vmalloc shmem zswap zswapped file_mapped file_dirty file_writeback swapcached anon_thp inactive_anon active_anon inactive_file active_file unevictable slab_reclaimable slab_unreclaimable workingset_refault_anon workingset_refault_file pgfault pgmajfault"
	else klist = "total_cache total_rss total_rss_huge total_shmem total_mapped_file total_dirty total_writeback total_swap total_inactive_anon total_active_anon total_inactive_file total_active_file total_unevictable total_pgfault total_pgmajfault"
	nkeys = split(klist, keys, " ")
	print "@keys " klist
	mi = ENVIRON["KM_MEMINFO"]
	if (mi != "") {
		n = 0
		while ((r = (getline l < mi)) > 0) {
			if (!n) print "@meminfo"
			print "mi " l
			n++
		}
		if (r >= 0) close(mi)
		if (!n) print "@warn meminfo unreadable: " mi
	}
	blocks = 0
	pod = ""
}
$1 == "W" { print "@warn " substr($0, 3); next }
$1 == "K" { print "@kubepods " substr($0, 3); next }
$1 == "C" {
	rel = substr($0, length($2) + 4)
	print "@cg " $2 " " rel
	blocks++
	pod = ($2 == "pod") ? rel : ""
	block(mem "/" rel, ($2 != "pod"), rel)
	next
}
$1 == "T" && pod != "" {
	name = substr($0, 3)
	print "@ctr " name
	blocks++
	block(mem "/" pod "/" name, 0, pod "/" name)
	next
}
END { print "@end " blocks }
'
