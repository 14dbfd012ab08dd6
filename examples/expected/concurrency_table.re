N units waiting at once, on this machine \([0-9]+ CPUs\):
processes N = +100: start-up +[0-9.]+ [nmu]s per unit, memory +[0-9.]+ (B|KiB|MiB) per unit
processes N = +[0-9]+: start-up +[0-9.]+ [nmu]s per unit, memory +[0-9.]+ (B|KiB|MiB) per unit( \(the system refused more\))?
threads   N = +100: start-up +[0-9.]+ [nmu]s per unit, memory +[0-9.]+ (B|KiB|MiB) per unit
threads   N = +[0-9]+: start-up +[0-9.]+ [nmu]s per unit, memory +[0-9.]+ (B|KiB|MiB) per unit( \(the system refused more\))?
threads   N = +[0-9]+: start-up +[0-9.]+ [nmu]s per unit, memory +[0-9.]+ (B|KiB|MiB) per unit( \(the system refused more\))?
tasks     N = +1000: start-up +[0-9.]+ [nmu]s per unit, memory +[0-9]+ B per unit
tasks     N = +100000: start-up +[0-9.]+ [nmu]s per unit, memory +[0-9]+ B per unit
tasks     N = 1000000: start-up +[0-9.]+ [nmu]s per unit, memory +[0-9]+ B per unit
\(a thread also reserves [0-9]+ KiB of address space for its stack\)

\|                          \| Process          \| Threads          \| Async            \|
\| -+ \| -+ \| -+ \| -+ \|
\| optimize waiting periods \| y \(preemptive\)   \| y \(preemptive\)   \| y \(cooperative\)  \|
\| use all CPU cores        \| y                \| y \(C has no GIL\) \| n                \|
\| Scalability \(per unit\)   \| [0-9.]+ (B|KiB|MiB), [0-9.]+ [nmu]s +\| [0-9.]+ (B|KiB|MiB), [0-9.]+ [nmu]s +\| [0-9]+ B, [0-9.]+ [nmu]s +\|
\| measured up to N =       \| [0-9]+ +\| [0-9]+ +\| 1000000 +\|
\| use blocking std lib     \| y                \| y                \| n                \|
\| GIL interference         \| n                \| n \(none in C\)    \| n                \|
elapsed: per unit, tasks [0-9]+ B and [0-9.]+ us; threads -?[0-9]+ B and [0-9.]+ us; processes -?[0-9]+ B and [0-9.]+ us
