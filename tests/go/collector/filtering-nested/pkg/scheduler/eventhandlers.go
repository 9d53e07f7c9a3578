// Package scheduler registers FilteringResourceEventHandlers, scheduler style
// (pkg/scheduler/eventhandlers.go:294-352), one nested inside another, and one
// whose inner handler has no DeleteFunc.
//
// client-go's FilteringResourceEventHandler.OnUpdate calls the inner OnAdd when
// an object starts passing the filter and the inner OnDelete when it stops, so
// an informer update can run the inner add and delete funcs too.
package scheduler

import (
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

const zoneLabel = "topology.kubernetes.io/zone"

// Scheduler keeps assigned pods, zoned nodes and kube-system config maps.
type Scheduler struct {
	pods       map[string]*v1.Pod
	nodes      map[string]*v1.Node
	configMaps map[string]*v1.ConfigMap
}

// New registers every handler.
func New(informerFactory informers.SharedInformerFactory) *Scheduler {
	sched := &Scheduler{
		pods:       map[string]*v1.Pod{},
		nodes:      map[string]*v1.Node{},
		configMaps: map[string]*v1.ConfigMap{},
	}

	informerFactory.Core().V1().Pods().Informer().AddEventHandler(
		cache.FilteringResourceEventHandler{
			FilterFunc: func(obj interface{}) bool {
				switch t := obj.(type) {
				case *v1.Pod:
					return assignedPod(t)
				case cache.DeletedFinalStateUnknown:
					_, ok := t.Obj.(*v1.Pod)
					return ok
				default:
					return false
				}
			},
			Handler: cache.ResourceEventHandlerFuncs{
				AddFunc:    sched.addPodToCache,
				UpdateFunc: sched.updatePodInCache,
				DeleteFunc: sched.deletePodFromCache,
			},
		},
	)

	// A filter inside a filter: zoned nodes, then schedulable ones.
	informerFactory.Core().V1().Nodes().Informer().AddEventHandler(
		cache.FilteringResourceEventHandler{
			FilterFunc: func(obj interface{}) bool {
				node, ok := obj.(*v1.Node)
				return ok && node.Labels[zoneLabel] != ""
			},
			Handler: cache.FilteringResourceEventHandler{
				FilterFunc: func(obj interface{}) bool {
					node, ok := obj.(*v1.Node)
					return ok && !node.Spec.Unschedulable
				},
				Handler: cache.ResourceEventHandlerFuncs{
					AddFunc:    sched.addNode,
					UpdateFunc: sched.updateNode,
					DeleteFunc: sched.deleteNode,
				},
			},
		},
	)

	// No DeleteFunc: a config map leaving the filter calls a nil DeleteFunc, which does nothing.
	informerFactory.Core().V1().ConfigMaps().Informer().AddEventHandler(
		cache.FilteringResourceEventHandler{
			FilterFunc: func(obj interface{}) bool {
				cm, ok := obj.(*v1.ConfigMap)
				return ok && cm.Namespace == metav1.NamespaceSystem
			},
			Handler: cache.ResourceEventHandlerFuncs{
				AddFunc:    sched.addConfigMap,
				UpdateFunc: sched.updateConfigMap,
			},
		},
	)
	return sched
}

func assignedPod(pod *v1.Pod) bool {
	return len(pod.Spec.NodeName) != 0
}

func (sched *Scheduler) addPodToCache(obj interface{}) {
	pod := obj.(*v1.Pod)
	sched.pods[pod.Namespace+"/"+pod.Name] = pod
}

func (sched *Scheduler) updatePodInCache(oldObj, newObj interface{}) {
	pod := newObj.(*v1.Pod)
	sched.pods[pod.Namespace+"/"+pod.Name] = pod
}

func (sched *Scheduler) deletePodFromCache(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	delete(sched.pods, key)
}

func (sched *Scheduler) addNode(obj interface{}) {
	node := obj.(*v1.Node)
	sched.nodes[node.Name] = node
}

func (sched *Scheduler) updateNode(oldObj, newObj interface{}) {
	node := newObj.(*v1.Node)
	sched.nodes[node.Name] = node
}

func (sched *Scheduler) deleteNode(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	delete(sched.nodes, key)
}

func (sched *Scheduler) addConfigMap(obj interface{}) {
	cm := obj.(*v1.ConfigMap)
	sched.configMaps[cm.Name] = cm
}

func (sched *Scheduler) updateConfigMap(oldObj, newObj interface{}) {
	cm := newObj.(*v1.ConfigMap)
	sched.configMaps[cm.Name] = cm
}
