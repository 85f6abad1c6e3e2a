// Package control holds the modules that run on the controller, not on the
// host: debug, assert, fail, set_fact, pause, include_vars and async_status
// (Ansible's action plugins). They see the run through *modules.Host's
// variables, console, job table and vault, and have no connection to reach.
package control
