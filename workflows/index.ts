export { memberWorkflow } from './member.js';
