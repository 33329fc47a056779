package bench

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/shaobao/shaobao/loadgen"
)

// markCPU records the CPU time of every watched process and of the bench
// itself at the start of the measured phase.
func (e *benchEnv) markCPU() {
	e.frozen = nil
	for _, p := range e.procs {
		p.cpu0, _ = loadgen.ReadCPU(p.pid)
	}
	e.selfCPU0, _ = loadgen.ReadCPU(os.Getpid())
	if e.watchPostgres {
		e.pgCPU0 = map[int]time.Duration{}
		for _, pid := range loadgen.ProcessesNamed("postgres", e.pgDatabases...) {
			e.pgCPU0[pid], _ = loadgen.ReadCPU(pid)
		}
	}
}

// postgresCPU is the CPU time the local PostgreSQL server's backends
// serving the bench's databases spent since markCPU, in all and per
// database (a backend that exited in between is missed; one started since
// counts whole). The server's shared processes (WAL writer, checkpointer)
// are not counted.
func (e *benchEnv) postgresCPU() (time.Duration, map[string]time.Duration) {
	var all time.Duration
	perDB := map[string]time.Duration{}
	for _, db := range e.pgDatabases {
		for _, pid := range loadgen.ProcessesNamed("postgres", db) {
			if cpu, err := e.readCPU(pid); err == nil {
				perDB[db] += cpu - e.pgCPU0[pid]
				all += cpu - e.pgCPU0[pid]
			}
		}
	}
	return all, perDB
}

// cpuSince describes the CPU time per unit of work that the watched
// processes and the bench spent since markCPU.
func (e *benchEnv) cpuSince(units int, unit string) string {
	n := float64(max(units, 1))
	out := "CPU per " + unit + ":"
	for _, p := range e.procs {
		if cpu, err := loadgen.ReadCPU(p.pid); err == nil {
			out += fmt.Sprintf(" %s %.1f ms", p.name, msf(cpu-p.cpu0)/n)
		}
	}
	if cpu, err := loadgen.ReadCPU(os.Getpid()); err == nil {
		out += fmt.Sprintf(" bench %.1f ms", msf(cpu-e.selfCPU0)/n)
	}
	if e.watchPostgres {
		all, _ := e.postgresCPU()
		out += fmt.Sprintf(" postgres %.1f ms", msf(all)/n)
	}
	return out
}

// reportProcesses prints, per watched process and for the bench itself,
// the CPU time spent per lifecycle since markCPU and the peak and current
// memory, and returns them as key=value figures. The sum of the CPU per
// lifecycle bounds the throughput: the machine's cores can do no more than
// cores × 1000 / sum lifecycles per second.
func (e *benchEnv) reportProcesses(lifecycles int) []string {
	var kv []string
	n := float64(max(lifecycles, 1))
	var total time.Duration
	line := func(label, key string, pid int, cpu0 time.Duration) {
		cpu, cerr := e.readCPU(pid)
		m, merr := loadgen.ReadMemory(pid)
		if cerr != nil || merr != nil {
			e.printf("%s (pid %d): %v %v", label, pid, cerr, merr)
			return
		}
		used := cpu - cpu0
		total += used
		e.printf("%-58s CPU %6.1f ms/lifecycle  peak RSS %s  RSS %s", fmt.Sprintf("%s (pid %d):", label, pid),
			msf(used)/n, mib(m.Peak), mib(m.Now))
		kv = append(kv, fmt.Sprintf("%s_cpu_ms_per_lifecycle=%.1f", key, msf(used)/n),
			fmt.Sprintf("%s_peak_rss_mb=%.0f", key, float64(m.Peak)/(1<<20)), fmt.Sprintf("%s_rss_mb=%.0f", key, float64(m.Now)/(1<<20)))
	}
	for _, p := range e.procs {
		label := p.name
		if p.what != "" {
			label = "shaobao " + p.what
		}
		line(label, p.name, p.pid, p.cpu0)
	}
	if len(e.procs) == 0 {
		e.printf("server process unknown (give --server-pid): only the bench's own CPU and memory are reported")
	}
	self := "bench (driver, no-op and bare-shape workers)"
	if e.temporalInBench {
		self = "bench (driver, baselines' workers, Temporal server on PostgreSQL)"
	}
	line(self, "bench", os.Getpid(), e.selfCPU0)
	if e.watchPostgres {
		used, perDB := e.postgresCPU()
		total += used
		e.printf("%-58s CPU %6.1f ms/lifecycle", "PostgreSQL backends of the bench's databases:", msf(used)/n)
		kv = append(kv, fmt.Sprintf("postgres_cpu_ms_per_lifecycle=%.1f", msf(used)/n))
		for _, db := range e.pgDatabases {
			e.printf("  %-56s CPU %6.1f ms/lifecycle", db+":", msf(perDB[db])/n)
			kv = append(kv, fmt.Sprintf("postgres_%s_cpu_ms_per_lifecycle=%.1f", db, msf(perDB[db])/n))
		}
	}
	e.printf("CPU per lifecycle, all processes above: %.1f ms (%d cores: at most %.1f lifecycles/s if CPU were all that bounds them)",
		msf(total)/n, numCPU(), float64(numCPU())*1000/(msf(total)/n))
	kv = append(kv, fmt.Sprintf("cpu_ms_per_lifecycle=%.1f", msf(total)/n))
	return kv
}

func numCPU() int { return runtime.NumCPU() }

// cpuUse is the CPU time spent since markCPU by the watched server
// processes, by this process (the driver and the baselines' worker, and
// with --temporal-postgres the Temporal server) and by the PostgreSQL
// backends of the bench's databases.
type cpuUse struct {
	server, bench, postgres time.Duration
	// temporalInBench: the Temporal server runs in this process.
	temporalInBench bool
}

// all is the CPU time of every process.
func (u cpuUse) all() time.Duration { return u.server + u.bench + u.postgres }

// serverSide is the CPU time of the server under test: its processes and
// their PostgreSQL, and this process when it hosts the Temporal server
// (it cannot be told apart from the driver there).
func (u cpuUse) serverSide() time.Duration {
	if u.temporalInBench {
		return u.all()
	}
	return u.server + u.postgres
}

// cpuUsed is the CPU time spent since markCPU. It freezes each process's
// CPU time as it reads it, so that the report of the phase that just
// ended (reportProcesses) leaves out what the bench does after it:
// reading histories, querying cases.
func (e *benchEnv) cpuUsed() cpuUse {
	e.frozen = nil
	frozen := map[int]time.Duration{}
	u := cpuUse{temporalInBench: e.temporalInBench}
	for _, p := range e.procs {
		if cpu, err := loadgen.ReadCPU(p.pid); err == nil {
			u.server += cpu - p.cpu0
			frozen[p.pid] = cpu
		}
	}
	if cpu, err := loadgen.ReadCPU(os.Getpid()); err == nil {
		u.bench = cpu - e.selfCPU0
		frozen[os.Getpid()] = cpu
	}
	if e.watchPostgres {
		u.postgres, _ = e.postgresCPU()
		for _, db := range e.pgDatabases {
			for _, pid := range loadgen.ProcessesNamed("postgres", db) {
				if cpu, err := loadgen.ReadCPU(pid); err == nil {
					frozen[pid] = cpu
				}
			}
		}
	}
	e.frozen = frozen
	return u
}

// readCPU is pid's CPU time as cpuUsed froze it, or now.
func (e *benchEnv) readCPU(pid int) (time.Duration, error) {
	if cpu, ok := e.frozen[pid]; ok {
		return cpu, nil
	}
	return loadgen.ReadCPU(pid)
}
