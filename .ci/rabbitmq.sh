#!/usr/bin/env bash
# Makes sure RabbitMQ answers on 127.0.0.1:5672 for the RabbitMQ specs, starting the machine's
# server when it does not; fails with how to fix it otherwise.
set -euo pipefail
answers() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if answers; then exit 0; fi
if command -v rabbitmq-server >/dev/null; then
  echo "RabbitMQ does not answer on 127.0.0.1:5672; starting it (rabbitmq-server -detached)"
  rabbitmq-server -detached
  for _ in $(seq 1 60); do answers && exit 0; sleep 1; done
fi
echo "RabbitMQ does not answer on 127.0.0.1:5672. Install and start it (rabbitmq-server -detached, user guest/guest)," >&2
echo "or point MELANGE_TEST_RABBITMQ_URL at another server." >&2
exit 1
