package runner

// includePublic is include_role's public for the run of t: as given, or
// its template rendered for the first host that includes the role (the
// role's vars become the play's, not one host's); a template that does not
// render to a boolean counts as false.
func (r *Runner) includePublic(pr *playRun, t *Task, h *hostState) bool {
	if t.Include.PublicTemplate == "" {
		return t.Include.Public
	}
	b, err := renderBool(r.scope(pr, t, h), t.Include.PublicTemplate)
	return err == nil && b
}
