// Package yamlstrict is the strict reading of YAML nodes that policy files
// (policies) and world files (worlds) go through. YAML's own conversions are
// loose on purpose (a quoted "true" is a string, 5 is not a duration); a
// file that configures a chaos run is not, because a typo that is read as
// something else tests something other than what its author meant.
//
// # What it refuses
//
// [Reader.Mapping] refuses a node that is not a mapping, a key that is not a
// plain word, a key the schema does not know and a key given twice;
// [Reader.Entries] and [Reader.List] walk mappings of names and lists; every
// walk refuses a YAML alias ([Reader.NoAlias]), since an alias could make a
// small file expand into a huge one. The scalar readers ([Str], [Boolean],
// [Integer], [Number], [Duration], [Enum]) refuse a value of the wrong type
// instead of converting it, and say what they found ([Describe]).
// [Reader.Document] reads the one YAML document of a file.
//
// # Errors
//
// Every refusal is an *[Error] with the line and the key's full path (e.g.
// "rules[2].when.phase"). The loaders turn it into their own error type, which
// adds the file's name: the messages are theirs to render, and stay the same
// whichever loader reads the node.
//
// The package sits apart from the two loaders because policies imports
// worlds: a reader in either could not serve the other.
package yamlstrict
