export { helmBinary } from './helm-binary.ts'
