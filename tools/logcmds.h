/* The proof subcommands of `recall log` (log_proof.c, log_monitor.c) and the witness client
 * (log_witness.c), listed in log.c's table. */
#ifndef RECALL_TOOL_LOGCMDS_H
#define RECALL_TOOL_LOGCMDS_H

int log_proof(int argc, char **argv);
int log_verify(int argc, char **argv);
int log_witness(int argc, char **argv);
/* log_monitor.c */
int log_monitor(int argc, char **argv);

#endif
