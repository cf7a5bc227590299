package netrig

import "os/exec"

// DieWithParent is how a rig starts its engine processes, for a test of it.
func DieWithParent(cmd *exec.Cmd) { dieWithParent(cmd) }

// RemoveAProxy removes one of the first execution's proxies from under the
// rig, as a Toxiproxy that lost it would, and returns its name.
func (r *Rig) RemoveAProxy() (string, error) {
	name := "x1." + r.servers.Names()[0]
	return name, r.tox.Remove(name)
}
