package corpus

import "testing"

// moreRoles are roles nobody tuned ferry for (session 9): more of
// geerlingguy's, and other authors' (willshersystems, cloudalchemy,
// nginxinc, ANXS, robertdebock, Oefenweb, dev-sec's collection), each by
// its README's example and its tests' converge playbooks, unchanged; the
// roles their tests' requirements.yml name are laid out when mirrored.
var moreRoles = []roleCase{
	geerlingguy("supervisor", "geerlingguy.pip"),
	geerlingguy("composer"),
	geerlingguy("varnish"),
	geerlingguy("swap"),
	geerlingguy("nfs"),
	geerlingguy("ruby"),
	geerlingguy("elasticsearch", "geerlingguy.java"),
	geerlingguy("solr", "geerlingguy.java"),
	geerlingguy("mailhog"),
	geerlingguy("containerd"),
	geerlingguy("helm"),
	geerlingguy("kubernetes", "geerlingguy.docker", "geerlingguy.containerd"),
	geerlingguy("go"),
	geerlingguy("ansible", "geerlingguy.pip"),
	geerlingguy("nodejs"),
	geerlingguy("jenkins", "geerlingguy.java"),
	geerlingguy("certbot", "geerlingguy.git", "geerlingguy.nginx"),
	{label: "sshd", repo: "willshersystems+ansible-sshd", name: "willshersystems.sshd",
		converges: map[string]string{"tests-default": "tests/tests_default.yml"}, inPlace: true},
	{label: "node_exporter", repo: "cloudalchemy+ansible-node-exporter", name: "cloudalchemy.node_exporter",
		converges: map[string]string{"converge": "molecule/default/playbook.yml"}},
	{label: "nginxinc", repo: "nginxinc+ansible-role-nginx", name: "ansible-role-nginx",
		converges: map[string]string{"converge": "molecule/default/converge.yml"}},
	{label: "anxs_postgresql", repo: "ANXS+postgresql", name: "ANXS.postgresql"},
	{label: "bootstrap", repo: "robertdebock+ansible-role-bootstrap", name: "robertdebock.bootstrap",
		converges: map[string]string{"converge": "molecule/default/converge.yml"}},
	{label: "users", repo: "robertdebock+ansible-role-users", name: "robertdebock.users", deps: []string{"robertdebock.bootstrap"},
		converges: map[string]string{"converge": "molecule/default/converge.yml"}},
	{label: "oefenweb_ntp", repo: "Oefenweb+ansible-ntp", name: "ntp",
		converges: map[string]string{"converge": "molecule/default/converge.yml"}, inPlace: true},
	{label: "fail2ban", repo: "Oefenweb+ansible-fail2ban", name: "fail2ban",
		converges: map[string]string{"converge": "molecule/default/converge.yml"}, inPlace: true},
	{label: "os_hardening", repo: "dev-sec+ansible-collection-hardening", collection: "devsec/hardening",
		converges: map[string]string{"converge": "molecule/os_hardening/converge.yml"}},
	{label: "ssh_hardening", repo: "dev-sec+ansible-collection-hardening", collection: "devsec/hardening",
		converges: map[string]string{"converge": "molecule/ssh_hardening/converge.yml"}},
}

// TestMoreRoles is TestRoles on moreRoles. FERRY_CORPUS_VALIDATE_ONLY=1
// stops each after ferry validate and --syntax-check.
func TestMoreRoles(t *testing.T) {
	enabled(t)
	for _, c := range moreRoles {
		compareRole(t, c)
	}
}
