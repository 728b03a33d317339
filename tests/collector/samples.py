"""Real memory.stat contents.

V2_STAT: a container's memory.stat on a cgroup v2 host (Linux 6.x: has pgdemote_*, swpin_zero,
zswpwb, thp_swpout_fallback), as posted in a public troubleshooting thread about a RabbitMQ
container. Unchanged, including the keys the parser does not know.

V1_ROOT_STAT: the root memory cgroup's memory.stat of the machine these tests were written on
(Linux 6.18, hybrid hierarchy, memory controller on v1), read from
/sys/fs/cgroup/memory/memory.stat. Unchanged.
"""

V2_STAT = """anon 4795621376
file 569593856
kernel 167936000
kernel_stack 81346560
pagetables 42930176
sec_pagetables 0
percpu 126200
sock 0
vmalloc 1236992
shmem 560095232
zswap 0
zswapped 0
file_mapped 491581440
file_dirty 0
file_writeback 0
swapcached 6160384
anon_thp 3059744768
file_thp 0
shmem_thp 0
inactive_anon 2696347648
active_anon 2665529344
inactive_file 1589248
active_file 7909376
unevictable 0
slab_reclaimable 4199912
slab_unreclaimable 32974328
slab 37174240
workingset_refault_anon 5330
workingset_refault_file 617749399
workingset_activate_anon 989
workingset_activate_file 61366432
workingset_restore_anon 980
workingset_restore_file 61009560
workingset_nodereclaim 0
pgdemote_kswapd 0
pgdemote_direct 0
pgdemote_khugepaged 0
pgscan 993187808
pgsteal 619776829
pgscan_kswapd 804415450
pgscan_direct 188763268
pgscan_khugepaged 9090
pgsteal_kswapd 503018093
pgsteal_direct 116754102
pgsteal_khugepaged 4634
pgfault 717480824
pgmajfault 22092074
pgrefill 593791715
pgactivate 189049445
pgdeactivate 0
pglazyfree 0
pglazyfreed 0
swpin_zero 36
swpout_zero 5323
zswpin 0
zswpout 0
zswpwb 0
thp_fault_alloc 52784
thp_collapse_alloc 1583
thp_swpout 0
thp_swpout_fallback 209
"""

V1_ROOT_STAT = """cache 10719232
rss 6438912
rss_huge 0
shmem 9084928
mapped_file 7528448
dirty 20480
writeback 0
workingset_refault_anon 0
workingset_refault_file 937
swap 0
swapcached 0
pgpgin 35196
pgpgout 31007
pgfault 35098
pgmajfault 0
inactive_anon 0
active_anon 1531904
inactive_file 28672
active_file 1605632
unevictable 13991936
hierarchical_memory_limit 9223372036854771712
hierarchical_memsw_limit 9223372036854771712
total_cache 269156352
total_rss 11378688
total_rss_huge 0
total_shmem 9084928
total_mapped_file 11001856
total_dirty 163840
total_writeback 0
total_workingset_refault_anon 0
total_workingset_refault_file 44812
total_swap 0
total_swapcached 0
total_pgpgin 813325
total_pgpgout 751178
total_pgfault 900705
total_pgmajfault 572
total_inactive_anon 4796416
total_active_anon 1564672
total_inactive_file 130719744
total_active_file 129351680
total_unevictable 13991936
"""
V1_ROOT_USAGE = 280326144  # memory.usage_in_bytes read together with V1_ROOT_STAT
