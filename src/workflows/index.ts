export { buildWorkflow } from './build/build';
export { loopWorkflow } from './loop/loop';
export { queueWorkflow } from './queue/queue';
export { reportWorkflow } from './report/report';
export { deliverWorkflow } from './deliver/deliver';
