/*
 * sim_ctl.c: the inputs of herald-sim's command language. Commands arrive
 * from a scenario file, from stdin and from clients of a unix control
 * socket; each input is a "source" that runs its lines in order and can be
 * held (sleep, wait) without holding the loop or the other sources. Every
 * command's reply ends with a line "ok" or "error: ...", so scripts can talk
 * to the socket line by line; ctl_client() is that script, built in
 * (herald-sim -C SOCKET command...).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "sim.h"
#include "xmalloc.h"

enum src_kind {
	SRC_FILE,	/* scenario file, or stdin when it is a file */
	SRC_STDIN,	/* stdin as a pipe or terminal */
	SRC_CLIENT,	/* control socket connection */
};

struct src {
	struct sim		*s;
	enum src_kind		 kind;
	char			 name[128];
	struct bufferevent	*bev;
	struct evbuffer		*in;
	int			 lineno;
	int			 eof;
	int			 held;
	int			 failed;	/* a scenario stops at an error */
	struct event		*timer;
	double			 left;
	int			 (*ready)(struct sim *);
	struct src		*next;
};

struct ctl {
	struct evconnlistener	*listener;
	char			*path;
	struct src		*srcs;
};

static struct ctl ctl;

static void src_run(struct src *);

struct sim *
src_sim(struct src *c)
{
	return c->s;
}

void
src_printf(struct src *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (c->kind == SRC_CLIENT) {
		if (c->bev != NULL)
			evbuffer_add_vprintf(bufferevent_get_output(c->bev),
			    fmt, ap);
	} else {
		vprintf(fmt, ap);
		fflush(stdout);
	}
	va_end(ap);
}

static void
src_free(struct src *c)
{
	struct src **pp;

	for (pp = &ctl.srcs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	else if (c->in != NULL)
		evbuffer_free(c->in);
	free(c);
}

static struct src *
src_new(struct sim *s, enum src_kind kind, const char *name)
{
	struct src *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->kind = kind;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->next = ctl.srcs;
	ctl.srcs = c;
	return c;
}

static void
src_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct src *c = arg;
	struct timeval tv = { 0, 20000 };

	c->left -= 0.02;
	if (c->ready != NULL && c->ready(c->s))
		src_printf(c, "ok\n");
	else if (c->left <= 0) {
		if (c->ready != NULL)
			src_printf(c, "error: timeout\n");
		else
			src_printf(c, "ok\n");
	} else {
		evtimer_add(c->timer, &tv);
		return;
	}
	c->held = 0;
	src_run(c);
}

void
src_wait(struct src *c, double seconds, int (*ready)(struct sim *))
{
	struct timeval tv = { 0, 20000 };

	if (ready != NULL && ready(c->s)) {
		src_printf(c, "ok\n");
		return;
	}
	c->held = 1;
	c->left = seconds;
	c->ready = ready;
	if (c->timer == NULL)
		c->timer = evtimer_new(c->s->base, src_tick_cb, c);
	/* a plain sleep needs no polling */
	if (ready == NULL) {
		tv.tv_sec = (time_t)seconds;
		tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
		c->left = 0;
	}
	evtimer_add(c->timer, &tv);
}

static void
src_line(struct src *c, char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		line[--n] = '\0';
	c->lineno++;
	if (cmd_exec(c, line) == 1)
		c->held = 1;
}

/* Drain a client's output, then close it. */
static void
src_client_flushed_cb(struct bufferevent *bev, void *arg)
{
	src_free(arg);
}

static void
src_done(struct src *c)
{
	if (c->kind == SRC_CLIENT && c->bev != NULL &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
		bufferevent_setcb(c->bev, NULL, src_client_flushed_cb, NULL, c);
		bufferevent_disable(c->bev, EV_READ);
		return;
	}
	src_free(c);
}

/* Run lines until the input is empty or a command holds the source. */
static void
src_run(struct src *c)
{
	char *line;
	size_t n;

	while (!c->held && !c->failed && !c->s->quitting) {
		line = evbuffer_readln(c->in, &n, EVBUFFER_EOL_LF);
		if (line == NULL && c->eof && evbuffer_get_length(c->in) > 0) {
			/* the last line may have no newline */
			n = evbuffer_get_length(c->in);
			line = xmalloc(n + 1);
			evbuffer_remove(c->in, line, n);
			line[n] = '\0';
		}
		if (line == NULL)
			break;
		src_line(c, line);
		free(line);
	}
	if (c->failed && c->kind == SRC_FILE)
		log_warnx("%s: stopped at line %d", c->name, c->lineno);
	if (!c->held && (c->failed || (c->eof &&
	    evbuffer_get_length(c->in) == 0)))
		src_done(c);
}

/* A scenario file stops at its first error; interactive inputs go on. */
void
src_error(struct src *c, const char *msg)
{
	if (c->kind == SRC_FILE) {
		src_printf(c, "error: %s:%d: %s\n", c->name, c->lineno, msg);
		c->failed = 1;
	} else
		src_printf(c, "error: %s\n", msg);
}

static void
src_read_cb(struct bufferevent *bev, void *arg)
{
	src_run(arg);
}

static void
src_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct src *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		c->eof = 1;
		if (what & BEV_EVENT_ERROR) {
			/* nobody to answer: drop what is left */
			evbuffer_drain(c->in, evbuffer_get_length(c->in));
			if (c->kind == SRC_CLIENT) {
				bufferevent_free(c->bev);
				c->bev = NULL;
				c->in = evbuffer_new();
			}
		}
		if (!c->held)
			src_run(c);
	}
}

/* A whole file as one source (regular files cannot be polled). */
static int
src_file(struct sim *s, int fd, const char *name)
{
	struct src *c = src_new(s, SRC_FILE, name);
	int r;

	c->in = evbuffer_new();
	while ((r = evbuffer_read(c->in, fd, 65536)) > 0)
		;
	if (r < 0) {
		log_warn("%s", name);
		src_free(c);
		return -1;
	}
	c->eof = 1;
	src_run(c);
	return 0;
}

static void
src_stream(struct sim *s, int fd, enum src_kind kind, const char *name)
{
	struct src *c = src_new(s, kind, name);

	evutil_make_socket_nonblocking(fd);
	c->bev = bufferevent_socket_new(s->base, fd,
	    kind == SRC_CLIENT ? BEV_OPT_CLOSE_ON_FREE : 0);
	c->in = bufferevent_get_input(c->bev);
	bufferevent_setcb(c->bev, src_read_cb, NULL, src_event_cb, c);
	bufferevent_enable(c->bev, EV_READ);
}

static void
ctl_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
	src_stream(arg, fd, SRC_CLIENT, "control");
}

static int
ctl_listen(struct sim *s, const char *path)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	unlink(path);
	ctl.listener = evconnlistener_new_bind(s->base, ctl_accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE, 16, (struct sockaddr *)&sun, sizeof(sun));
	if (ctl.listener == NULL) {
		log_warn("control socket %s", path);
		return -1;
	}
	ctl.path = xstrdup(path);
	return 0;
}

/* Open the inputs; the scenario runs first, up to its first hold. */
int
ctl_start(struct sim *s, const char *scenario, int use_stdin,
    const char *ctlpath)
{
	struct stat sb;
	int fd;

	if (ctlpath != NULL && ctl_listen(s, ctlpath) == -1)
		return -1;
	if (scenario != NULL) {
		if ((fd = open(scenario, O_RDONLY)) == -1) {
			log_warn("%s", scenario);
			return -1;
		}
		if (src_file(s, fd, scenario) == -1) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	if (!use_stdin || fstat(STDIN_FILENO, &sb) == -1)
		return 0;
	/* epoll refuses regular files and /dev/null: read those at once */
	if (S_ISREG(sb.st_mode) || (S_ISCHR(sb.st_mode) &&
	    !isatty(STDIN_FILENO)))
		return src_file(s, STDIN_FILENO, "stdin");
	src_stream(s, STDIN_FILENO, SRC_STDIN, "stdin");
	return 0;
}

void
ctl_stop(struct sim *s)
{
	while (ctl.srcs != NULL)
		src_free(ctl.srcs);
	if (ctl.listener != NULL) {
		evconnlistener_free(ctl.listener);
		unlink(ctl.path);
		free(ctl.path);
	}
	ctl.listener = NULL;
}

/* Send one line and copy the reply up to "ok" or "error: ...". */
static int
ctl_client_one(FILE *sock, const char *line)
{
	char buf[4096];

	fprintf(sock, "%s\n", line);
	fflush(sock);
	while (fgets(buf, sizeof(buf), sock) != NULL) {
		if (strcmp(buf, "ok\n") == 0)
			return 0;
		if (strncmp(buf, "error:", 6) == 0) {
			fprintf(stderr, "herald-sim: %s", buf + 7);
			return -1;
		}
		fputs(buf, stdout);
	}
	fprintf(stderr, "herald-sim: the simulator closed the connection\n");
	return -1;
}

int
ctl_client(const char *path, int argc, char **argv)
{
	struct sockaddr_un sun;
	char line[4096];
	size_t used = 0;
	FILE *sock;
	int fd, i, rc = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "herald-sim: %s: %s\n", path, strerror(errno));
		return 1;
	}
	sock = fdopen(fd, "r+");
	if (argc > 0) {
		line[0] = '\0';
		for (i = 0; i < argc && used < sizeof(line); i++)
			used += snprintf(line + used, sizeof(line) - used,
			    "%s%s", i ? " " : "", argv[i]);
		rc = ctl_client_one(sock, line) == 0 ? 0 : 1;
	} else {
		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			/* the simulator answers nothing to these */
			if (line[strspn(line, " \t")] == '\0' ||
			    line[strspn(line, " \t")] == '#')
				continue;
			if (ctl_client_one(sock, line) == -1)
				rc = 1;
		}
	}
	fclose(sock);
	return rc;
}
