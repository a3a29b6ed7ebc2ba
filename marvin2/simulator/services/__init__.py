"""Services: the simulator's domain logic, which the API modules in ``apis/`` call (see HANDLERS.md).

API modules (``apis/<area>.py``) declare the CloudStack commands and stay thin:
they read parameters, make the request-time checks, call services and render.
Services hold the rules and row life cycles several commands share. Imports go
one way: apis -> services -> core (``declare``, ``context``, ``listing``,
``errors``, ``store``, ``tagging``, ``limits``, ``ipalloc``, ...). An API module
never imports another API module, a service never imports an API module, and
a service imports only services listed *before* it here (so there is no
cycle; ``tests/framework/test_import_graph.py`` checks the whole graph):

  common           owners, projects, owned lists, events, numbering (core only)
  accounts         deleteAccount / disableAccount hook registry (nothing)
  keys             RSA key pairs for SSH keys and VM passwords (nothing)
  rules            removing firewall / port forwarding / LB rules (core only)
  netcommon        network helpers: CIDRs, job errors, owned lists   -> common
  capacity         host placement, CPU/memory accounting              -> common
  catalog          offering a VM gets, template readiness and use     -> common
  volumes          volume rows of VMs, pools, counts                  -> common
  hosts            the host renderer                                  -> common
  offerings        which services a network offering provides        -> netcommon
  nics             NIC rows: guest IP and MAC allocation, rendering   -> netcommon, rules
  addresses        public IP ownership, labels, release               -> netcommon, rules
  public_ranges    dedicating public IP ranges, their renderer        -> addresses, rules
  security_groups  default groups, VM membership, rendering           -> accounts, netcommon
  routers          virtual router rows and rendering                  -> accounts, common, netcommon
  networks         implementation, usability, default network, destruction
                                                                      -> nics, routers, offerings, rules, capacity
  vpcs             default ACLs, VPC destruction                      -> networks, routers, rules
  guestnet         what a VM needs from networking (one facade)      -> networks, nics, security_groups
  vms              VM rows: rendering, lookups, stop/destroy/expunge  -> guestnet, volumes, capacity, catalog
  expunge          the background expunge sweep                       -> vms
  java_text        how 4.20's toString() names rows in messages      -> common
  internal_calls   calling the simulator's own APIs from a service    (core only)
  remote_vpn       remote-access VPNs and VPN users                   -> common
  site_vpn         site-to-site VPN gateways, customer gateways, connections
                                                                      -> java_text
  portable_ips     portable public IP ranges of a region              -> regions
  nic_ips          NIC secondary IPs, a NIC's own address             -> java_text, nics
  cron             Spring-style cron schedules                        (nothing)
  vm_schedules     VM schedule rows and their next runs               -> cron
  vm_scheduler     the background task that runs due VM schedules     -> internal_calls, vm_schedules
  project_roles    project roles and their permission rules           (core only)
  user_moves       moveUser                                           (core only)
  storage_maintenance  pool maintenance, image store updates          -> internal_calls, java_text
  storage_pools    pool updates, tags, providers, scope changes       -> storage_maintenance
  metrics          the metrics plugin's figures, stats history       -> capacity, expunge, usage, agent_lb

When a lower service must act on something a higher one owns (deleting an
account removes its networks, VMs and VPCs), the lower one offers a hook
registry (``accounts``) and the higher one registers into it when it loads.
"""
