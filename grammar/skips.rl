/*
 * The rules of common.rl that the command scanner reads with skip actions
 * (grammar/command.rl defines the actions): each the same language as the
 * common.rl rule named beside it, written out so that a skip can sit on
 * the self-loop of a run. test/grammar_equiv.py checks each equality with
 * Ragel (a difference machine without a final state). A skip may stop
 * anywhere inside its run: the machine then takes the next octet itself.
 */
%%{
machine skips;

# = sub_domain: runs of letters and digits, across "." (skip_dotted())
label_f = let_dig_u ( "-"* ( alnum @skip_label | u8 ) )*;
# = domain
domain_f = label_f ( "." label_f )*;
# = atom: runs of atext
atom_f = atext ( atext_ascii @skip_atom | u8 )*;
# = dot_string
dot_string_f = atom_f ( "." atom_f )*;
# = atom_ascii (ORCPT's addr-type, RFC 3461 §4.2)
atom_ascii_f = atext_ascii ( atext_ascii @skip_atext )*;
# = xtext_print (ENVID, ORCPT): runs of xchar
xtext_f = ( xchar @skip_xchar | hexchar_print )*;
# = xtext_print - zlen
xtext1_f = ( xchar | hexchar_print ) xtext_f;
# = digit+ (SIZE, RFC 1870)
digits_f = digit ( digit @skip_digit )*;
}%%
