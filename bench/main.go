// Command ferry-bench is `make bench`'s wall-clock benchmark: it starts a
// real OpenSSH sshd on loopback with up to 200 hosts (127.0.0.2, ...), runs
// the same playbook of trivial `command` tasks with ferry (the built CLI),
// ansible-playbook (pipelining on) and a minimal Go client (the floor, see
// floor.go) in alternation, and writes the medians and ratios to
// docs/benchmarks.md, with a 2 GiB upload (ferry's copy against scp), the
// Dash Enterprise playbook in check mode and a 1,000-host inventory.
//
// Settings (environment):
//
//	BENCH_REPS      repetitions of every measurement (default 3)
//	BENCH_CELLS     HOSTSxTASKS list (default 1x1,1x50,10x20,50x10,200x5)
//	BENCH_TOOLS     tools of the SSH table (default ferry,floor,ansible)
//	BENCH_SECTIONS  parts to run (default ssh,copy,check,inventory)
//	BENCH_ANSIBLE_REPS  Ansible's repetitions above 50 hosts (default 1)
//	BENCH_COPY_MB   size of the upload (default 2048)
//	BENCH_OUT       the Markdown file (default docs/benchmarks.md)
//	BENCH_PROFILE_DIR  write a CPU profile of every ferry run there (TAG.pprof)
//
// Usage: ferry-bench -ferry bin/ferry (from the repository root).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferry-sh/ferry/internal/sshtest"
)

type bench struct {
	h     *harness
	srv   *sshtest.Server
	ferry string // the ferry binary
	self  string // this program, for the floor client
	work  string // generated inventories, playbooks, logs
	reps  int
	// ansibleReps caps Ansible's repetitions in cells of more than 50
	// hosts, where one run takes minutes.
	ansibleReps int
	tools       []string
	sections    map[string]bool
	copyMB      int
	report      report
	// profileDir receives a CPU profile of every ferry run when set.
	profileDir string

	mu      sync.Mutex
	running *exec.Cmd // the command being measured, for stopRunning
}

func main() {
	if len(os.Args) > 1 {
		if sub, ok := map[string]func([]string) error{"floor": floorMain, "exec": execMain}[os.Args[1]]; ok {
			if err := sub(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "ferry-bench %s: %v\n", os.Args[1], err)
				os.Exit(1)
			}
			return
		}
	}
	h := &harness{}
	defer h.close()
	h.stopOnSignal()
	b, cells, out := setup(h)
	start := time.Now()
	b.runSections(cells)
	b.report.took = time.Since(start)
	if err := b.report.writeTo(out); err != nil {
		h.Fatalf("writing %s: %v", out, err)
	}
	fmt.Printf("ferry-bench: wrote %s in %s\n", out, b.report.took.Round(time.Second))
}

func setup(h *harness) (*bench, []cell, string) {
	ferry := flag.String("ferry", "bin/ferry", "the ferry binary to measure")
	flag.Parse()
	b := &bench{h: h, reps: envInt(h, "BENCH_REPS", 3), copyMB: envInt(h, "BENCH_COPY_MB", 2048)}
	b.ansibleReps = envInt(h, "BENCH_ANSIBLE_REPS", 1)
	b.profileDir = envStr("BENCH_PROFILE_DIR", "")
	cells, err := parseCells(envStr("BENCH_CELLS", "1x1,1x50,10x20,50x10,200x5"))
	if err != nil {
		h.Fatalf("%v", err)
	}
	b.tools = strings.Split(envStr("BENCH_TOOLS", "ferry,floor,ansible"), ",")
	b.sections = map[string]bool{}
	for _, s := range strings.Split(envStr("BENCH_SECTIONS", "ssh,copy,check,inventory"), ",") {
		b.sections[s] = true
	}
	if b.ferry, err = filepath.Abs(*ferry); err != nil {
		h.Fatalf("%v", err)
	}
	if b.self, err = os.Executable(); err != nil {
		h.Fatalf("%v", err)
	}
	if b.work, err = os.MkdirTemp("", "ferry-bench-"); err != nil {
		h.Fatalf("%v", err)
	}
	h.Cleanup(func() {
		dirs, _ := filepath.Glob(filepath.Join(b.work, "cp-*"))
		for _, d := range dirs {
			stopControlMasters(d)
		}
		os.RemoveAll(b.work)
	})
	h.Cleanup(b.stopRunning)
	maxHosts := 1
	for _, c := range cells {
		maxHosts = max(maxHosts, c.hosts)
	}
	b.srv = sshtest.Start(h, sshtest.Options{Hosts: maxHosts})
	b.report = newReport(b)
	return b, cells, envStr("BENCH_OUT", "docs/benchmarks.md")
}

func (b *bench) runSections(cells []cell) {
	if b.sections["ssh"] {
		b.warmUp(cells[0])
		for _, c := range cells {
			b.report.cells = append(b.report.cells, b.runCell(c))
		}
	}
	if b.sections["copy"] {
		b.report.copy = b.runCopy()
	}
	if b.sections["check"] {
		b.report.check = b.runCheckMode()
	}
	if b.sections["inventory"] {
		b.report.inventory = b.runInventory()
	}
}

// warmUp runs every tool once on c, unmeasured: the first run of the bench
// would otherwise be the only one to load sshd and the tool from a cold
// machine, and it counts in the first cell's medians.
func (b *bench) warmUp(c cell) {
	for _, tool := range b.tools {
		s := b.runTool(tool, c, -1)
		fmt.Printf("%-6s %-7s warm-up: %6.2fs (not counted)\n", c, tool, s.wall.Seconds())
	}
}

// cellResult is one row of the SSH table.
type cellResult struct {
	cell  cell
	tools map[string]stats
}

// runCell runs every tool reps times, rotating their order from one
// repetition to the next so that none always runs on a warmer machine.
func (b *bench) runCell(c cell) cellResult {
	samples := map[string][]sample{}
	for rep := 0; rep < b.reps; rep++ {
		for i := range b.tools {
			tool := b.tools[(i+rep)%len(b.tools)]
			if tool == "ansible" && c.hosts > 50 && rep >= b.ansibleReps {
				continue
			}
			s := b.runTool(tool, c, rep)
			fmt.Printf("%-6s %-7s rep %d: %6.2fs cpu %6.2fs rss %4d MB\n", c, tool, rep+1, s.wall.Seconds(), s.cpu.Seconds(), s.rssKB/1024)
			samples[tool] = append(samples[tool], s)
		}
	}
	res := cellResult{cell: c, tools: map[string]stats{}}
	for tool, ss := range samples {
		res.tools[tool] = median(ss)
	}
	return res
}

// runTool runs tool once on c; rep < 0 is the warm-up.
func (b *bench) runTool(tool string, c cell, rep int) sample {
	tag := fmt.Sprintf("%s-%s-%d", c, tool, rep)
	if rep < 0 {
		tag = fmt.Sprintf("%s-%s-warmup", c, tool)
	}
	var cmd command
	switch tool {
	case "ferry":
		cmd = b.ferryCmd(c)
	case "floor":
		cmd = b.floorCmd(c)
	case "ansible":
		controlDir := filepath.Join(b.work, "cp-"+tag)
		defer func() {
			stopControlMasters(controlDir)
			// sshd's session processes end after the masters: let them,
			// or the next tool would pay for Ansible's teardown.
			time.Sleep(ansibleSettle)
		}()
		cmd = b.ansibleCmd(c, controlDir)
	default:
		b.h.Fatalf("BENCH_TOOLS: unknown tool %q (ferry, floor, ansible)", tool)
	}
	return b.mustMeasure(tag, cmd)
}

// ansibleSettle is the pause after an Ansible run (see runTool).
const ansibleSettle = 2 * time.Second

func envStr(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

func envInt(h *harness, name string, def int) int {
	v := envStr(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		h.Fatalf("%s=%q: want a whole number >= 1", name, v)
	}
	return n
}
