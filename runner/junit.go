package runner

import (
	"encoding/xml"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ferry-sh/ferry/internal/pyjson"
)

// JUnitSink writes a JUnit XML report at the end of the run, for CI
// systems: a test suite per play, a test case per task and host (named
// "[host] task", classname the host), failed and unreachable results as
// failures with the result's JSON, skipped ones as skipped.
type JUnitSink struct {
	mu        sync.Mutex
	w         io.Writer
	suites    []*junitSuite
	taskStart time.Time
}

// NewJUnitSink writes the report to w (mask w first: see Masker.Writer).
func NewJUnitSink(w io.Writer) *JUnitSink { return &JUnitSink{w: w} }

type junitSuites struct {
	XMLName xml.Name      `xml:"testsuites"`
	Suites  []*junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *struct{}     `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// Event implements Sink.
func (s *JUnitSink) Event(e Event) {
	e, ok := e.redacted()
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Type {
	case EventPlayStart:
		s.suites = append(s.suites, &junitSuite{Name: e.Play})
	case EventTaskStart, EventHandlerStart:
		s.taskStart = e.Time
	case EventHostResult:
		s.addCase(e)
	case EventRecap:
		s.write()
	}
}

func (s *JUnitSink) addCase(e Event) {
	if len(s.suites) == 0 {
		s.suites = append(s.suites, &junitSuite{})
	}
	suite := s.suites[len(s.suites)-1]
	c := junitCase{Name: fmt.Sprintf("[%s] %s", e.Host, e.Task), ClassName: e.Host,
		Time: fmt.Sprintf("%.3f", e.Time.Sub(s.taskStart).Seconds())}
	switch {
	case e.Status == StatusSkipped:
		c.Skipped = &struct{}{}
		suite.Skipped++
	case (e.Status == StatusFailed || e.Status == StatusUnreachable) && !e.Ignored && !e.Rescued:
		msg := e.Msg
		if msg == "" {
			msg = string(e.Status)
		}
		c.Failure = &junitFailure{Message: msg, Type: string(e.Status), Body: pyjson.Dumps(e.Result, false)}
		suite.Failures++
	}
	suite.Tests++
	suite.Cases = append(suite.Cases, c)
}

func (s *JUnitSink) write() {
	out, err := xml.MarshalIndent(junitSuites{Suites: s.suites}, "", "  ")
	if err != nil {
		out = []byte("<!-- cannot encode the report: " + err.Error() + " -->")
	}
	_, _ = io.WriteString(s.w, xml.Header+string(out)+"\n")
}
