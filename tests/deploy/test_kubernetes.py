"""deploy/kubernetes/, checked without a cluster.

No Kubernetes cluster runs on the machines this suite runs on, so every manifest is validated
against the API's own schemas by kubernetes-validate (strict: a field the API does not know is
refused, as a misspelt one would be silently dropped by an apply), and the topology of
docker-compose.yml is asserted on them as tests/deploy/test_compose.py does for compose.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes these manifests claim and the newest kubernetes-validate 1.37.0 bundles
# schemas for (it has 1.25 to 1.37).
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
EXAMPLE_SECRET = "secret.example.yaml"
SECRET_NAMES = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def documents(name: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


KUSTOMIZATION = yaml.safe_load((K8S / "kustomization.yaml").read_text())
FILES = sorted(path.name for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")
LISTED = [doc for name in KUSTOMIZATION["resources"] for doc in documents(name)]


def the(kind: str, name: str | None = None) -> dict:
    found = [
        doc
        for doc in LISTED
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"{len(found)} listed {kind} objects named {name or 'anything'}"
    return found[0]


DEPLOYMENT = the("Deployment")
POD = DEPLOYMENT["spec"]["template"]["spec"]
POD_LABELS = DEPLOYMENT["spec"]["template"]["metadata"]["labels"]
WORKER = next(c for c in POD["containers"] if c["name"] == "worker")
JOB = the("Job")
CONFIG = the("ConfigMap")["data"]
INGRESSES = [doc for doc in LISTED if doc["kind"] == "Ingress"]
SECRET = documents(EXAMPLE_SECRET)[0]


def pod_specs() -> list[tuple[str, dict]]:
    return [("Deployment", POD), ("Job", JOB["spec"]["template"]["spec"])]


def containers() -> Iterator[tuple[str, dict, dict]]:
    """Every container that runs the image, with the pod spec it belongs to."""
    for where, spec in pod_specs():
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield f"{where}/{container['name']}", container, spec


def selects(match_labels: dict, labels: dict) -> bool:
    return bool(match_labels) and match_labels.items() <= labels.items()


def port_number(container: dict, port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p["name"] == port)


def dockerfile_cmd() -> list[str]:
    return json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M)[1])


def readme_settings() -> set[str]:
    """The variables the README's Configuration table documents."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, re.M))


def strings(value: object, key: object = None) -> Iterator[tuple[object, str]]:
    """Every string in a manifest, with the key it is (in a list under) the value of."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from strings(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, key)
    elif isinstance(value, str):
        yield key, value


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(
    ("name", "index"),
    [(name, index) for name in FILES for index in range(len(documents(name)))],
)
def test_every_manifest_is_valid_kubernetes_with_unknown_fields_refused(name, index, version):
    doc = documents(name)[index]

    validated = kubernetes_validate.validate(doc, version, strict=True)

    assert validated == version.rsplit(".", 1)[0]


def test_strict_validation_refuses_a_misspelt_field():
    """What makes the test above worth having: a typo deep in a pod spec does not pass."""
    broken = copy.deepcopy(DEPLOYMENT)
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}

    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_the_kustomization_lists_every_manifest_but_the_example_secret():
    assert sorted(KUSTOMIZATION["resources"]) == [name for name in FILES if name != EXAMPLE_SECRET]
    assert not [doc for doc in LISTED if doc["kind"] == "Secret"]


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl (with kustomize) not installed")
def test_kustomize_renders_the_listed_objects_into_valid_manifests():
    done = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    rendered = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    names = sorted((doc["kind"], doc["metadata"]["name"]) for doc in rendered)
    assert names == sorted((doc["kind"], doc["metadata"]["name"]) for doc in LISTED)
    for doc in rendered:
        kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[-1], strict=True)


def test_the_topology_has_a_migration_workers_a_service_a_budget_an_autoscaler_and_an_ingress():
    kinds = {doc["kind"] for doc in LISTED}

    assert {
        "ConfigMap",
        "Job",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Ingress",
    } <= kinds


def test_the_worker_runs_the_images_draining_server_on_its_container_port():
    cmd = dockerfile_cmd()

    assert "command" not in WORKER and "args" not in WORKER  # the image's CMD, as compose runs it
    assert cmd[:3] == ["python", "-m", "medstream.serve"] and "--proxy-headers" in cmd
    assert cmd[cmd.index("--bind") + 1] == "0.0.0.0"
    assert port_number(WORKER, "http") == int(cmd[cmd.index("--port") + 1]) == 8000
    for _, container, _ in containers():
        assert container["image"].split(":")[0] == "medstream"
    assert any(image["name"] == "medstream" for image in KUSTOMIZATION["images"])


@pytest.mark.parametrize(
    ("probe", "path"),
    [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz"), ("startupProbe", "/healthz")],
)
def test_probes_ask_readyz_and_healthz_on_the_container_port(probe, path):
    get = WORKER[probe]["httpGet"]

    assert get["path"] == path
    assert port_number(WORKER, get["port"]) == 8000


@pytest.mark.parametrize("probe", ["readinessProbe", "livenessProbe", "startupProbe"])
def test_probes_name_an_allowed_host_and_https_so_django_answers_them(probe):
    """Without them the kubelet's request (Host: the pod's IP, plain HTTP) is refused (400) or,
    with HTTPS=1, redirected (301), and /healthz and /readyz are never reached."""
    headers = {h["name"]: h["value"] for h in WORKER[probe]["httpGet"].get("httpHeaders", [])}

    assert headers.get("Host") in CONFIG["ALLOWED_HOSTS"].split(",")
    if CONFIG.get("HTTPS") == "1":
        assert headers.get("X-Forwarded-Proto") == "https"


def test_stopping_a_worker_pauses_in_pre_stop_before_sigterm():
    command = WORKER["lifecycle"]["preStop"]["exec"]["command"]

    assert command[0] == "sleep" and float(command[1]) > 0


def test_the_grace_period_outlasts_the_pause_the_drain_and_the_handover():
    from clinical.streams.worker import RELEASE_SECONDS

    pause = float(WORKER["lifecycle"]["preStop"]["exec"]["command"][1])
    drain = float(CONFIG["DRAIN_GRACE_SECONDS"])
    # After the drain: 1 s for cancelled runs (Worker.drain), the leases' release, and 0.2 s for
    # the 1012 close frames to leave (medstream.serve); then catching each socket up.
    handover = 1.0 + RELEASE_SECONDS + 0.2

    assert POD["terminationGracePeriodSeconds"] > pause + drain + handover
    assert {"configMapRef": {"name": the("ConfigMap")["metadata"]["name"]}} in WORKER["envFrom"]


def test_every_worker_writes_its_own_pod_name_into_its_leases():
    env = {e["name"]: e for e in WORKER["env"]}

    assert env["WORKER_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


def test_secrets_come_only_from_the_secret():
    for where, container, _ in containers():
        env = {e["name"]: e for e in container.get("env", [])}
        for name in SECRET_NAMES:
            assert set(env[name]) == {"name", "valueFrom"}, where
            assert env[name]["valueFrom"]["secretKeyRef"] == {
                "name": SECRET["metadata"]["name"],
                "key": name,
            }, where
        for source in container.get("envFrom", []):
            assert set(source) <= {"configMapRef", "secretRef"}, where


def test_no_listed_manifest_holds_a_literal_secret_or_a_service_url():
    for doc in LISTED:
        for key, value in strings(doc):
            assert key not in SECRET_NAMES, f"{doc['kind']} {doc['metadata']['name']}: {key}"
            assert not re.search(r"\b(postgres(ql)?|rediss?)://", value), value
    assert not set(SECRET_NAMES) & set(CONFIG)


def test_the_example_secret_holds_placeholders_and_says_how_to_create_the_real_one():
    text = (K8S / EXAMPLE_SECRET).read_text()

    assert SECRET["kind"] == "Secret"
    assert set(SECRET["stringData"]) == set(SECRET_NAMES)
    assert all(value.startswith("CHANGE-ME") for value in SECRET["stringData"].values())
    assert f"kubectl create secret generic {SECRET['metadata']['name']}" in text
    assert "external" in text


def test_the_configmap_sets_only_settings_the_readme_documents():
    assert set(CONFIG) <= readme_settings()
    assert {"ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "CHANNEL_LAYER", "DRAIN_GRACE_SECONDS"} <= set(
        CONFIG
    )
    assert CONFIG["DEBUG"] == "0"
    assert all(isinstance(value, str) for value in CONFIG.values())


def test_the_ingress_serves_the_host_the_workers_allow():
    hosts = CONFIG["ALLOWED_HOSTS"].split(",")
    for ingress in INGRESSES:
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] in hosts
            assert f"https://{rule['host']}" in CONFIG["CSRF_TRUSTED_ORIGINS"].split(",")
            assert any(rule["host"] in tls["hosts"] for tls in ingress["spec"]["tls"])


def routes() -> Iterator[tuple[dict, dict]]:
    for ingress in INGRESSES:
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                yield ingress, path


def test_every_ingress_is_for_ingress_nginx_and_sends_to_the_workers_service():
    service = the("Service")
    for ingress, path in routes():
        assert ingress["spec"]["ingressClassName"] == "nginx"
        backend = path["backend"]["service"]
        assert backend["name"] == service["metadata"]["name"]
        assert backend["port"]["name"] in [port["name"] for port in service["spec"]["ports"]]


def test_the_ingress_gives_websockets_hour_long_timeouts():
    websocket = [ingress for ingress, path in routes() if path["path"] == "/ws/"]

    assert len(websocket) == 1
    annotations = websocket[0]["metadata"]["annotations"]
    for name in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[f"nginx.ingress.kubernetes.io/{name}"]) >= 3600


def test_metrics_are_not_exposed_through_the_ingress():
    metrics = [(ingress, path) for ingress, path in routes() if path["path"] == "/metrics"]

    assert len(metrics) == 1
    ingress, path = metrics[0]
    assert path["pathType"] == "Exact"
    denied = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/denylist-source-range"]
    assert set(denied.split(",")) == {"0.0.0.0/0", "::/0"}


def test_the_service_sends_to_the_worker_port_and_only_to_workers():
    spec = the("Service")["spec"]
    job_labels = JOB["spec"]["template"]["metadata"]["labels"]

    assert selects(spec["selector"], POD_LABELS) and not selects(spec["selector"], job_labels)
    for port in spec["ports"]:
        assert port_number(WORKER, port["targetPort"]) == 8000


def test_the_disruption_budget_and_the_autoscaler_select_the_worker():
    budget = the("PodDisruptionBudget")
    scaler = the("HorizontalPodAutoscaler")
    job_labels = JOB["spec"]["template"]["metadata"]["labels"]

    assert selects(budget["spec"]["selector"]["matchLabels"], POD_LABELS)
    assert not selects(budget["spec"]["selector"]["matchLabels"], job_labels)
    assert budget["spec"]["maxUnavailable"] == 1
    assert selects(DEPLOYMENT["spec"]["selector"]["matchLabels"], POD_LABELS)
    assert scaler["apiVersion"] == "autoscaling/v2"
    assert scaler["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": DEPLOYMENT["metadata"]["name"],
    }


def test_the_autoscaler_keeps_two_workers_on_cpu_and_owns_the_replica_count():
    spec = the("HorizontalPodAutoscaler")["spec"]

    assert spec["minReplicas"] >= 2  # compose runs two workers
    assert spec["maxReplicas"] > spec["minReplicas"]
    assert [m["resource"]["name"] for m in spec["metrics"] if m["type"] == "Resource"] == ["cpu"]
    assert "replicas" not in DEPLOYMENT["spec"]


def test_workers_spread_over_machines():
    spread = POD["topologySpreadConstraints"]

    assert any(
        constraint["topologyKey"] == "kubernetes.io/hostname"
        and selects(constraint["labelSelector"]["matchLabels"], POD_LABELS)
        for constraint in spread
    )


def test_the_migration_runs_once_before_any_worker_serves():
    migrate = JOB["spec"]["template"]["spec"]["containers"][0]
    (wait,) = POD["initContainers"]

    assert migrate["command"][-3:] == ["manage.py", "migrate", "--noinput"]
    assert JOB["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert "manage.py migrate --check" in " ".join(wait["command"])
    assert migrate["image"] == wait["image"] == WORKER["image"]


@pytest.mark.parametrize("where", [where for where, _, _ in containers()])
def test_containers_run_as_the_images_non_root_user_on_a_read_only_root(where):
    container, spec = next((c, s) for w, c, s in containers() if w == where)
    uid = int(re.search(r"--uid (\d+)", DOCKERFILE)[1])
    var_dir = re.search(r"MEDSTREAM_VAR_DIR=(\S+)", DOCKERFILE)[1]
    context = spec["securityContext"] | container.get("securityContext", {})
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}

    assert context["runAsNonRoot"] is True and context["runAsUser"] == uid
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert "emptyDir" in mounts["/tmp"]
    # The static files are collected into the image there: a volume would hide them.
    assert not any(path == var_dir or path.startswith(f"{var_dir}/") for path in mounts)
    assert spec["automountServiceAccountToken"] is False


@pytest.mark.parametrize("where", [where for where, _, _ in containers()])
def test_containers_have_resource_requests_and_limits(where):
    container = next(c for w, c, _ in containers() if w == where)

    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound])


def test_only_the_ingress_controller_reaches_the_workers_that_trust_proxy_headers():
    policy = the("NetworkPolicy")["spec"]

    assert "--proxy-headers" in dockerfile_cmd()
    assert selects(policy["podSelector"]["matchLabels"], POD_LABELS)
    assert policy["policyTypes"] == ["Ingress"]
    (rule,) = policy["ingress"]
    (peer,) = rule["from"]
    assert peer["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "ingress-nginx"
    }
    assert [port_number(WORKER, port["port"]) for port in rule["ports"]] == [8000]
