// Package attachdetach mimics pkg/controller/volume/attachdetach/attach_detach_controller.go
// (v1.28). The node handler writes the desired and actual states of world (adc:561, adc:583,
// adc:896); the reconciler reads them and attaches volumes or patches node status. Two other
// functions only hold a reference to those objects: populateActualStateOfWorld (adc:394-403, run
// once at start-up) calls a method of the ASW and then one of its own, and reportPlugins passes
// adc.desiredStateOfWorld along to read its plugin manager. Neither reads what a handler wrote.
package attachdetach

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

type attachDetachController struct {
	kubeClient          clientset.Interface
	nodeLister          corelisters.NodeLister
	vaLister            storagelisters.VolumeAttachmentLister
	desiredStateOfWorld *desiredStateOfWorld
	actualStateOfWorld  *actualStateOfWorld
}

// NewAttachDetachController registers the node handler.
func NewAttachDetachController(kubeClient clientset.Interface, nodeInformer coreinformers.NodeInformer, vaLister storagelisters.VolumeAttachmentLister) (*attachDetachController, error) {
	adc := &attachDetachController{
		kubeClient:          kubeClient,
		nodeLister:          nodeInformer.Lister(),
		vaLister:            vaLister,
		desiredStateOfWorld: newDesiredStateOfWorld(&pluginMgr{names: []string{"kubernetes.io/csi"}}),
		actualStateOfWorld:  newActualStateOfWorld(),
	}
	nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			adc.nodeAdd(obj)
		},
	})
	return adc, nil
}

// Run populates the actual state once, then starts the periodic loops.
func (adc *attachDetachController) Run(ctx context.Context) {
	if err := adc.populateActualStateOfWorld(ctx); err != nil {
		return
	}
	go wait.UntilWithContext(ctx, adc.reconcile, time.Second)
	go wait.UntilWithContext(ctx, adc.updateNodeStatuses, time.Second)
	go wait.UntilWithContext(ctx, adc.reportPlugins, time.Minute)
	<-ctx.Done()
}

func (adc *attachDetachController) nodeAdd(obj interface{}) {
	node, ok := obj.(*v1.Node)
	if node == nil || !ok {
		return
	}
	adc.desiredStateOfWorld.AddNode(node.Name)
	adc.actualStateOfWorld.SetNodeStatusUpdateNeeded(node.Name)
}

// reconcile attaches every desired volume (rec:309 -> csi_attacher.go:120).
func (adc *attachDetachController) reconcile(ctx context.Context) {
	for _, v := range adc.desiredStateOfWorld.GetVolumesToAttach() {
		va := &storagev1.VolumeAttachment{
			ObjectMeta: metav1.ObjectMeta{Name: v.volumeName + "-" + v.nodeName},
			Spec:       storagev1.VolumeAttachmentSpec{NodeName: v.nodeName},
		}
		adc.kubeClient.StorageV1().VolumeAttachments().Create(ctx, va, metav1.CreateOptions{})
	}
}

// updateNodeStatuses patches the nodes the actual state marks (node_status_updater.go:65).
func (adc *attachDetachController) updateNodeStatuses(ctx context.Context) {
	for _, nodeName := range adc.actualStateOfWorld.GetNodesToUpdateStatusFor() {
		patch := []byte(`{"status":{"volumesAttached":[]}}`)
		adc.kubeClient.CoreV1().Nodes().Patch(ctx, nodeName, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	}
}

// populateActualStateOfWorld runs once at start-up: it calls an ASW method, then one of its own
// that deletes stale attachments through the client. Its error result is no data of any node event.
func (adc *attachDetachController) populateActualStateOfWorld(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	nodes, err := adc.nodeLister.List(labels.Everything())
	if err != nil {
		return err
	}
	for _, node := range nodes {
		for _, attached := range node.Status.VolumesAttached {
			err := adc.actualStateOfWorld.MarkVolumeAsAttached(string(attached.Name), node.Name)
			if err != nil {
				logger.Error(err, "Failed to mark the volume as attached")
			}
		}
	}
	return adc.processVolumeAttachments(ctx)
}

func (adc *attachDetachController) processVolumeAttachments(ctx context.Context) error {
	vas, err := adc.vaLister.List(labels.Everything())
	if err != nil {
		return err
	}
	for _, va := range vas {
		if va.Spec.NodeName == "" {
			adc.kubeClient.StorageV1().VolumeAttachments().Delete(ctx, va.Name, metav1.DeleteOptions{})
		}
	}
	return nil
}

// reportPlugins passes the desired state along only to read its plugin manager, a sibling of the
// maps the node handler writes.
func (adc *attachDetachController) reportPlugins(ctx context.Context) {
	names := pluginNames(adc.desiredStateOfWorld)
	cm := &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "attachdetach-plugins"}, Data: map[string]string{}}
	for _, n := range names {
		cm.Data[n] = "enabled"
	}
	adc.kubeClient.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{})
}

func pluginNames(dsw *desiredStateOfWorld) []string {
	return dsw.volumePluginMgr.Names()
}
