// Package garbagecollector mimics pkg/controller/garbagecollector: attemptToDelete is created
// once in NewGarbageCollector and stored in BOTH GarbageCollector.attemptToDelete and
// GraphBuilder.attemptToDelete. Handlers write GraphBuilder.graphChanges; processGraphChanges
// reads it and adds to attemptToDelete; the GC worker reads attemptToDelete and deletes
// through the metadata client, with a resource known only at run time.
package garbagecollector

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

type GarbageCollector struct {
	restMapper     meta.RESTMapper
	metadataClient metadata.Interface
	// garbage collector attempts to delete the items in attemptToDelete queue when the time is ripe.
	attemptToDelete        workqueue.RateLimitingInterface
	dependencyGraphBuilder *GraphBuilder
}

func NewGarbageCollector(metadataClient metadata.Interface, mapper meta.RESTMapper, podInformer coreinformers.PodInformer, eventRecorder record.EventRecorder) (*GarbageCollector, error) {
	attemptToDelete := workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "garbage_collector_attempt_to_delete")
	gc := &GarbageCollector{
		metadataClient:  metadataClient,
		restMapper:      mapper,
		attemptToDelete: attemptToDelete,
	}
	gc.dependencyGraphBuilder = &GraphBuilder{
		eventRecorder:   eventRecorder,
		graphChanges:    workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "garbage_collector_graph_changes"),
		attemptToDelete: attemptToDelete,
	}
	gc.dependencyGraphBuilder.monitorPods(podInformer)
	return gc, nil
}

func (gc *GarbageCollector) Run(ctx context.Context, workers int) {
	defer gc.attemptToDelete.ShutDown()
	defer gc.dependencyGraphBuilder.graphChanges.ShutDown()
	logger := klog.FromContext(ctx)
	go wait.Until(func() { gc.dependencyGraphBuilder.runProcessGraphChanges(logger) }, time.Second, ctx.Done())
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, gc.runAttemptToDeleteWorker, time.Second)
	}
	<-ctx.Done()
}

func (gc *GarbageCollector) runAttemptToDeleteWorker(ctx context.Context) {
	for gc.processAttemptToDeleteWorker(ctx) {
	}
}

func (gc *GarbageCollector) processAttemptToDeleteWorker(ctx context.Context) bool {
	item, quit := gc.attemptToDelete.Get()
	if quit {
		return false
	}
	defer gc.attemptToDelete.Done(item)
	n, ok := item.(*node)
	if !ok {
		return true
	}
	if err := gc.attemptToDeleteItem(ctx, n); err != nil {
		gc.attemptToDelete.AddRateLimited(item)
		return true
	}
	gc.attemptToDelete.Forget(item)
	return true
}

func (gc *GarbageCollector) attemptToDeleteItem(ctx context.Context, item *node) error {
	for _, owner := range item.owners {
		resource, namespaced, err := gc.apiResource(owner.APIVersion, owner.Kind)
		if err != nil {
			return err
		}
		ns := ""
		if namespaced {
			ns = item.identity.Namespace
		}
		_, err = gc.metadataClient.Resource(resource).Namespace(ns).Get(ctx, owner.Name, metav1.GetOptions{})
		if err == nil {
			// a live owner exists: nothing to collect
			return nil
		}
		if !errors.IsNotFound(err) {
			return err
		}
	}
	policy := metav1.DeletePropagationBackground
	return gc.deleteObject(ctx, item.identity, &policy)
}

func (gc *GarbageCollector) apiResource(apiVersion, kind string) (schema.GroupVersionResource, bool, error) {
	fqKind := schema.FromAPIVersionAndKind(apiVersion, kind)
	mapping, err := gc.restMapper.RESTMapping(fqKind.GroupKind(), fqKind.Version)
	if err != nil {
		return schema.GroupVersionResource{}, false, fmt.Errorf("unable to get REST mapping for %s/%s: %v", apiVersion, kind, err)
	}
	return mapping.Resource, mapping.Scope == meta.RESTScopeNamespace, nil
}

func (gc *GarbageCollector) deleteObject(ctx context.Context, item objectReference, policy *metav1.DeletionPropagation) error {
	resource, namespaced, err := gc.apiResource(item.APIVersion, item.Kind)
	if err != nil {
		return err
	}
	ns := ""
	if namespaced {
		ns = item.Namespace
	}
	uid := item.UID
	preconditions := metav1.Preconditions{UID: &uid}
	deleteOptions := metav1.DeleteOptions{Preconditions: &preconditions, PropagationPolicy: policy}
	return gc.metadataClient.Resource(resource).Namespace(ns).Delete(ctx, item.Name, deleteOptions)
}
