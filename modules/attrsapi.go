package modules

import "context"

// ConvergeAttrs gives an existing path on the host the task's mode, owner
// and group, each difference through the gate (a plan line in check mode),
// as Ansible's set_fs_attributes_if_different (a link itself, as its
// lchown): for a module that makes files its own way (archive, unzip) and
// then applies the common file arguments.
func ConvergeAttrs(ctx context.Context, h *Host, attrs FileAttrs, path string) error {
	info, err := StatPath(ctx, h, path, false)
	if err != nil || !info.Exists {
		return err
	}
	return attrs.Converge(ctx, h, path, info)
}
