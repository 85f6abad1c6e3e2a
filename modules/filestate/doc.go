// Package filestate holds copy, template and file: each makes one path on
// the host what the task declares (a file with this content, a directory, a
// link, nothing) with its mode and owner. The transfer itself (a private
// part, resumed when it is the writer's own, renamed over dest) is the
// framework's, shared with every module that writes a file (modules.Install).
package filestate
