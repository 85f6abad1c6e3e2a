package runner

import "io"

// screenSink is the sink that prints the run in the format --output asks.
func (s *Session) screenSink(out io.Writer) Sink {
	switch s.Output {
	case "json":
		return NewJSONSink(out)
	case "junit":
		return NewJUnitSink(out)
	case "adhoc":
		adhoc := NewAdHocSink(out, s.Color)
		adhoc.Warnings = s.Masker.Writer(s.stderr())
		return adhoc
	}
	text := NewTextSink(out, s.Verbosity, s.Diff, s.Color)
	text.Progress = s.Terminal
	text.Width = s.Width
	text.Warnings = s.Masker.Writer(s.stderr())
	if s.Config != nil {
		show, _, _ := s.Config.Lookup("SHOW_CUSTOM_STATS")
		text.ShowCustomStats, _ = show.(bool)
	}
	if s.Check {
		return newPlanSink(text, out, s.Color, s.Width)
	}
	return text
}
