package modules

import "context"

// The safe write (install.go) for module packages outside this one: a
// module that downloads or generates a file on the controller puts it on the
// host exactly as copy does (private mktemp part, no link followed, sha256 on
// both sides, atomic rename, backup, mode and owner).

// InstallFile converges dest on the host to the content of the controller
// file local, with the mode, owner, group, backup and follow options o
// (embed FileInstallOptions in the module's options). force false keeps an existing
// dest's content. The result holds dest, size, checksum (sha256) and the
// file's attributes; the change goes through the gate.
func InstallFile(ctx context.Context, h *Host, local, dest string, force bool, o FileInstallOptions) (Result, error) {
	src, err := fileSource(local)
	if err != nil {
		return Result{}, err
	}
	return Install(ctx, h, InstallRequest{Src: src, Dest: dest, Attrs: o.FileAttrs,
		Backup: o.Backup, Force: force, Follow: o.Follow})
}

// WritePrivateFile converges dest on the host to content with mode 0600,
// replacing whatever is there: for the files that hold secrets (KOTS
// ConfigValues with a TLS key).
func WritePrivateFile(ctx context.Context, h *Host, dest, content string) (Result, error) {
	return Install(ctx, h, InstallRequest{Src: ContentSource(content, ""), Dest: dest, Attrs: FileAttrs{Mode: "0600"}, Force: true})
}
