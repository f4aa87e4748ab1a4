/* A small libmodbus TCP server with 2000 holding registers serving many clients with select(),
 * the C peer of scripts/bench-modbus.sh. Usage: libmodbus_server PORT */
#include <modbus.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 15503;
    /* A client that closes while its answer is sent must not end the server (as NIO and Python servers do). */
    signal(SIGPIPE, SIG_IGN);
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
    modbus_mapping_t *map = modbus_mapping_new(0, 0, 2000, 0);
    for (int i = 0; i < 2000; i++) map->tab_registers[i] = (uint16_t)i;
    int server = modbus_tcp_listen(ctx, 64);
    if (server < 0) { fprintf(stderr, "libmodbus_server: cannot listen on 127.0.0.1:%d: %s\n", port, modbus_strerror(errno)); return 1; }
    fd_set all, ready;
    FD_ZERO(&all);
    FD_SET(server, &all);
    int maxfd = server;
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    for (;;) {
        ready = all;
        if (select(maxfd + 1, &ready, NULL, NULL, NULL) < 0) break;
        for (int fd = 0; fd <= maxfd; fd++) {
            if (!FD_ISSET(fd, &ready)) continue;
            if (fd == server) {
                struct sockaddr_in addr;
                socklen_t len = sizeof(addr);
                int client = accept(server, (struct sockaddr *)&addr, &len);
                if (client >= 0) {
                    FD_SET(client, &all);
                    if (client > maxfd) maxfd = client;
                }
            } else {
                modbus_set_socket(ctx, fd);
                int rc = modbus_receive(ctx, query);
                if (rc > 0) {
                    modbus_reply(ctx, query, rc, map);
                } else if (rc == -1) {
                    close(fd);
                    FD_CLR(fd, &all);
                }
            }
        }
    }
    modbus_mapping_free(map);
    modbus_free(ctx);
    return 0;
}
