################################################################################
#
# recall
#
################################################################################

RECALL_VERSION = 0.1.0
RECALL_SOURCE = recall-$(RECALL_VERSION).tar.gz
RECALL_SITE = https://example.org/recall/releases
RECALL_LICENSE = not-yet-stated
RECALL_DEPENDENCIES = host-pkgconf libsodium libcbor
# The portable core only on the target (librecall.a: the programs link it statically).
RECALL_CONF_OPTS = -DRECALL_TESTS=OFF -DRECALL_SHARED=OFF

RECALL_PROGRAMS = $(if $(BR2_PACKAGE_RECALL_TOOL),tools) \
	$(if $(BR2_PACKAGE_RECALL_RESPONDER),responder) \
	$(if $(BR2_PACKAGE_RECALL_AGENT),agent)
RECALL_CONF_OPTS += -DRECALL_PROGRAMS="$(subst $(space),;,$(strip $(RECALL_PROGRAMS)))"

ifeq ($(BR2_PACKAGE_RECALL_AGENT),y)
RECALL_DEPENDENCIES += libmnl
endif
ifeq ($(BR2_PACKAGE_RECALL_TOOL),y)
RECALL_DEPENDENCIES += jansson libcurl
endif
ifeq ($(BR2_PACKAGE_RECALL_RESPONDER),y)
RECALL_DEPENDENCIES += libmicrohttpd
endif

# systemd units, sysusers and tmpfiles files come from the recall install itself.
ifeq ($(BR2_INIT_SYSTEMD),y)
RECALL_CONF_OPTS += -DRECALL_INSTALL_SYSTEMD=ON
else
RECALL_CONF_OPTS += -DRECALL_INSTALL_SYSTEMD=OFF
endif

ifeq ($(BR2_PACKAGE_RECALL_AGENT),y)
define RECALL_USERS
	recall-agent -1 recall-agent -1 * /var/lib/recall-agent - - recall device agent
endef

define RECALL_INSTALL_AGENT_CONF
	$(INSTALL) -D -m 0644 $(@D)/packaging/recall-agent.conf.example \
		$(TARGET_DIR)/etc/recall-agent.conf
endef
RECALL_POST_INSTALL_TARGET_HOOKS += RECALL_INSTALL_AGENT_CONF

define RECALL_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(RECALL_PKGDIR)/S50recall-agent \
		$(TARGET_DIR)/etc/init.d/S50recall-agent
endef
endif

$(eval $(cmake-package))
