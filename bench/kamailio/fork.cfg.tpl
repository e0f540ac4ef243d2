#!KAMAILIO
#
# The Kamailio column of bench/calls.bench.ts: a transaction-stateful proxy forking each
# new INVITE in parallel to two user agents, the way twinline rings a desk phone and a
# mobile at once. The first 2xx wins; tm CANCELs the other branch. ACK and BYE follow the
# Record-Route. One SIP worker, nothing else (no database, no accounting, no logging).
#
# Placeholders filled in by the bench: @LISTEN_PORT@, @DESK@ (host:port of the desk
# phone), @MOBILE@ (host:port of the mobile behind the carrier), @MPATH@ (module dir).

debug=1
log_stderror=yes
fork=yes
children=1
disable_tcp=yes
auto_aliases=no
# Let the receive buffer grow as twinline's does (it asks for 8 MiB; the kernel caps both at rmem_max).
maxbuffer=8388608
dns=no
rev_dns=no
use_dns_cache=no
listen=udp:127.0.0.1:@LISTEN_PORT@

mpath="@MPATH@"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "pv.so"
loadmodule "corex.so"  # append_branch() with a variable URI

# Both branches get a final answer well within the defaults; keep them explicit.
modparam("tm", "fr_timer", 30000)
modparam("tm", "fr_inv_timer", 120000)

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}

	# In-dialog requests (ACK of a 2xx, BYE) follow the Record-Route.
	if (has_totag()) {
		if (loose_route()) {
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			# ACK of a non-2xx final response: absorbed by its transaction.
			if (t_check_trans()) t_relay();
			exit;
		}
		sl_send_reply("404", "Not Here");
		exit;
	}

	if (is_method("CANCEL")) {
		if (t_check_trans()) t_relay();
		exit;
	}

	if (!is_method("INVITE")) {
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}

	record_route();
	# Parallel fork: the desk phone as the Request-URI, the mobile as a second branch.
	$ru = "sip:" + $rU + "@@DESK@";
	append_branch("sip:$rU@@MOBILE@");
	if (!t_relay()) sl_reply_error();
	exit;
}
