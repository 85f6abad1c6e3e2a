package runner

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Listing says which of ansible-playbook's --list-* views to print.
type Listing struct{ Hosts, Tasks, Tags bool }

// Any reports whether a listing was asked for (then nothing runs).
func (l Listing) Any() bool { return l.Hosts || l.Tasks || l.Tags }

// List prints pb's plays as ansible-playbook --list-hosts, --list-tasks and
// --list-tags do, with the same selection: opts.Limit narrows the hosts,
// opts.Tags and SkipTags the tasks. Hosts are in inventory order (Ansible's
// order there is that of a Python set).
func List(w io.Writer, pb *Playbook, opts Options, what Listing) error {
	r := New(opts)
	fmt.Fprintf(w, "\nplaybook: %s\n", pb.Name())
	for i, play := range pb.Plays {
		title := play.Name
		if title == "" {
			title = play.Hosts
		}
		fmt.Fprintf(w, "\n  play #%d (%s): %s\t%s\n", i+1, play.Hosts, title, tagList("TAGS", play.Tags))
		if what.Hosts {
			hosts, err := r.playHosts(play)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "    pattern: ['%s']\n    hosts (%d):\n", play.Hosts, len(hosts))
			for _, h := range hosts {
				fmt.Fprintf(w, "      %s\n", h.name)
			}
		}
		r.listTasks(w, play, what)
	}
	return nil
}

func (r *Runner) listTasks(w io.Writer, play *Play, what Listing) {
	if !what.Tasks && !what.Tags {
		return
	}
	if what.Tasks {
		fmt.Fprintln(w, "    tasks:")
	}
	var all []string
	for _, t := range play.runnableTasks() {
		if !r.tagsSelected(t.Tags) {
			continue
		}
		all = append(all, t.Tags...)
		if what.Tasks {
			fmt.Fprintf(w, "      %s\t%s\n", t.Title(), tagList("TAGS", t.Tags))
		}
	}
	if what.Tags {
		fmt.Fprintf(w, "      %s\n", tagList("TASK TAGS", all))
	}
}

// runnableTasks are the play's tasks in order, blocks flattened, handlers
// left out: what --list-tasks shows.
func (p *Play) runnableTasks() []*Task {
	var out []*Task
	var walk func([]*Task)
	walk = func(ts []*Task) {
		for _, t := range ts {
			if t.IsBlock() {
				walk(t.Block)
				walk(t.Rescue)
				walk(t.Always)
				continue
			}
			out = append(out, t)
		}
	}
	walk(p.PreTasks)
	walk(p.Tasks)
	walk(p.PostTasks)
	return out
}

// tagList is Ansible's "TAGS: [a, b]": sorted, each once.
func tagList(label string, tags []string) string {
	sorted := slices.Compact(slices.Sorted(slices.Values(tags)))
	return fmt.Sprintf("%s: [%s]", label, strings.Join(sorted, ", "))
}
