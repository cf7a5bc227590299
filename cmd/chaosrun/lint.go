package main

// lint checks a policy file. It arrives with the policy file loader.
func (e *env) lint(args []string) error {
	return usagef("policy files arrive with the loader", "lint is not available in this build")
}
