/* Subcommands of the recall tool: each is `int cmd_<name>(int argc, char **argv)` with argv[0]
 * the subcommand's name, and one row of the table in recall.c. */
#ifndef RECALL_TOOL_CMDS_H
#define RECALL_TOOL_CMDS_H

int cmd_keygen(int argc, char **argv);
int cmd_anchors(int argc, char **argv);
int cmd_notice(int argc, char **argv);
int cmd_feed(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_publish(int argc, char **argv);

#endif
