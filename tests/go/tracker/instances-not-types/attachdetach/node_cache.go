package attachdetach

import (
	"context"
	"sync"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientset "k8s.io/client-go/kubernetes"
)

// nodeCache is a small helper type with two instances in this controller: adc.seenNodes, which
// the node handler fills, and the status updater's own cache, which only the updater fills.
type nodeCache struct {
	mu    sync.Mutex
	nodes map[string]string
}

func newNodeCache() *nodeCache {
	return &nodeCache{nodes: map[string]string{}}
}

func (c *nodeCache) Set(name, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nodes[name] = value
}

func (c *nodeCache) List() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for k, v := range c.nodes {
		out[k] = v
	}
	return out
}

// statusUpdater mimics .../attachdetach/statusupdater: a helper with a cache instance of its own.
type statusUpdater struct {
	kubeClient clientset.Interface
	cache      *nodeCache
}

func newStatusUpdater(kubeClient clientset.Interface) *statusUpdater {
	return &statusUpdater{kubeClient: kubeClient, cache: newNodeCache()}
}

func (su *statusUpdater) observe(name string) {
	su.cache.Set(name, "observed")
}

func (su *statusUpdater) publish(ctx context.Context) {
	cm := &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "attachdetach-nodes"}, Data: su.cache.List()}
	su.kubeClient.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{})
}
