// Package attachdetach mimics pkg/controller/volume/attachdetach (v1.28): the pod handler looks
// the volume's plugin up in adc.volumePluginMgr (a lookup that refreshes the manager's memo,
// util.go:218) and writes the desired state of world (adutil:227), which the periodic reconciler
// reads to patch node status. A second periodic loop also looks plugins up and writes CSINode
// objects (as csi_plugin.go:258 would on a kubelet): it reads nothing a handler wrote.
package attachdetach

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"example.com/helper-field-depth/volume"
)

type attachDetachController struct {
	kubeClient          clientset.Interface
	volumePluginMgr     volume.VolumePluginMgr
	desiredStateOfWorld *desiredStateOfWorld
}

// NewAttachDetachController registers the pod handler.
func NewAttachDetachController(kubeClient clientset.Interface, podInformer coreinformers.PodInformer, plugins []volume.VolumePlugin, prober volume.DynamicPluginProber) (*attachDetachController, error) {
	adc := &attachDetachController{
		kubeClient:          kubeClient,
		desiredStateOfWorld: newDesiredStateOfWorld(),
	}
	if err := adc.volumePluginMgr.InitPlugins(plugins, prober); err != nil {
		return nil, err
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			adc.podAdd(obj)
		},
	})
	return adc, nil
}

// Run starts the reconciler and the CSINode sync.
func (adc *attachDetachController) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, adc.reconcile, time.Second)
	go wait.UntilWithContext(ctx, adc.syncCSINodes, time.Minute)
	<-ctx.Done()
}

func (adc *attachDetachController) podAdd(obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if !ok || pod.Spec.NodeName == "" {
		return
	}
	for _, vol := range pod.Spec.Volumes {
		spec := &volume.Spec{Name: vol.Name}
		plugin, err := adc.volumePluginMgr.FindPluginBySpec(spec)
		if err != nil || plugin == nil {
			continue
		}
		adc.desiredStateOfWorld.AddPod(pod.Name, vol.Name, pod.Spec.NodeName)
	}
}

// reconcile reads the desired state and reports the attached volumes in the node status.
func (adc *attachDetachController) reconcile(ctx context.Context) {
	for _, v := range adc.desiredStateOfWorld.GetVolumesToAttach() {
		patch := []byte(`{"status":{"volumesAttached":[{"name":"` + v.volumeName + `"}]}}`)
		adc.kubeClient.CoreV1().Nodes().Patch(ctx, v.nodeName, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	}
}

// syncCSINodes looks a plugin up (refreshing the memo again) and creates a CSINode: nothing a
// handler wrote reaches it.
func (adc *attachDetachController) syncCSINodes(ctx context.Context) {
	plugin, err := adc.volumePluginMgr.FindPluginByName("kubernetes.io/csi")
	if err != nil {
		return
	}
	csiNode := &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: plugin.GetPluginName()}}
	adc.kubeClient.StorageV1().CSINodes().Create(ctx, csiNode, metav1.CreateOptions{})
}
